// The login-flood scenario of issue 13 (item 5), one round: a 64-connection
// wrong-password flood from one source address while a second client, from
// another address, logs in with the right password once a second and
// GET /users/me load (autocannon, 50 connections) runs.
//
// Distinct client IPs on loopback: the service listens on 127.0.0.1 and Linux
// accepts any 127.0.0.0/8 source address, so each client binds its own
// (http.Agent `localAddress`) and the service sees it as request.ip. autocannon
// cannot do that (it calls net.connect(port, host) with no local address), so
// the flood is written here: a child process (this file, run with
// --flood-client) keeps `connections` keep-alive connections busy, each
// sending the next wrong password as soon as the last answer came. The user's
// logins run in another child (--user-client), so that neither the flood's
// CPU nor autocannon's (a child of its own, bench/lib/load.mjs) delays their
// timing. The flood and autocannon run at BENCH_LOAD_NICE (processes.mjs),
// the user's client at normal priority.
import http from 'node:http'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import { compare } from '@node-rs/bcrypt'
import { loadMe } from './load.mjs'
import { loadGeneratorNice, startNode, stop } from './processes.mjs'
import { median } from './stats.mjs'

const SELF = fileURLToPath(import.meta.url)

/** POST /token from `agent`'s local address; resolves with the status and the ms it took. */
function postLogin (agent, url, username, password) {
  const body = new URLSearchParams({ grant_type: 'password', username, password }).toString()
  const started = performance.now()
  return new Promise(resolve => {
    const request = http.request(`${url}/token`, {
      method: 'POST',
      agent,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) }
    }, response => {
      response.resume()
      response.on('end', () => resolve({ status: response.statusCode, ms: performance.now() - started }))
    })
    request.on('error', () => resolve({ status: 'error', ms: performance.now() - started }))
    request.end(body)
  })
}

/** The flood child: runs until SIGTERM, then lets the answers in flight arrive and prints its counts as JSON. */
async function floodClient ({ url, localAddress, connections, usernames, password }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections, localAddress })
  const counts = {}
  let stopping = false
  let next = 0
  process.once('SIGTERM', () => { stopping = true })
  const started = performance.now()
  const loop = async () => {
    while (!stopping) {
      const { status } = await postLogin(agent, url, usernames[next++ % usernames.length], password)
      counts[status] = (counts[status] ?? 0) + 1
      if (status === 'error') await sleep(10)
    }
  }
  await Promise.all(Array.from({ length: connections }, loop))
  agent.destroy()
  process.stdout.write(`${JSON.stringify({ counts, seconds: (performance.now() - started) / 1000 })}\n`)
}

/** The user child: one login a second, each on a fresh connection as a browser's would be; prints every answer as JSON. */
async function userClient ({ url, localAddress, username, password, count }) {
  const logins = []
  for (let i = 0; i < count; i++) {
    logins.push(postLogin(new http.Agent({ keepAlive: false, localAddress }), url, username, password))
    await sleep(1000)
  }
  process.stdout.write(`${JSON.stringify(await Promise.all(logins))}\n`)
}

const lastJsonLine = handle => JSON.parse(handle.stdout.trim().split('\n').at(-1) || 'null')

async function timeOneVerify (password, passwordHash) {
  const times = []
  for (let i = 0; i < 3; i++) {
    const started = performance.now()
    await compare(password, passwordHash)
    times.push(performance.now() - started)
  }
  return median(times)
}

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]
}

/**
 * One round against a running service. One bcrypt verify at the service's
 * cost is timed first, in this process, with nothing else running (the unit
 * of the p99 budget). Then the flood starts from `floodAddress`; after
 * `prefillMs` (the hashing queue fills) the /users/me load runs for `seconds`
 * + `userDelaySeconds`, and from `userDelaySeconds` into it the user's logins
 * (from `userAddress`, one a second: `seconds` logins); then the flood stops.
 *
 * Returns { verifyMs, user: { attempts, ok, successRate, p50, p99, times (ms, in order), statuses },
 * me: loadMe's summary, flood: { counts, seconds, hashed, perSecond },
 * hashMsUnderFlood }, where hashMsUnderFlood = flood seconds × concurrency ÷
 * the password checks that answered 401 or 200 (the slot never idles in a flood).
 */
export async function loginFloodRound ({
  url, floodAddress, userAddress, floodConnections = 64, floodUsernames, wrongPassword = 'wrong-password-for-the-flood',
  user, meConnections = 50, meTokens, seconds, prefillMs = 1500, userDelaySeconds = 1, passwordHash, hashConcurrency
}) {
  const verifyMs = await timeOneVerify(user.password, passwordHash)
  const config = { url, localAddress: floodAddress, connections: floodConnections, usernames: floodUsernames, password: wrongPassword }
  const flood = startNode(`login flood from ${floodAddress}`, [SELF, '--flood-client', JSON.stringify(config)], { PATH: process.env.PATH }, { nice: loadGeneratorNice() })
  await sleep(prefillMs)

  // The user's first login comes a second after the /users/me load starts, so that the load generator's
  // own start (50 new connections, its compilation) is not what the first login is timed against.
  const meRun = loadMe({ url, connections: meConnections, seconds: seconds + userDelaySeconds, tokens: meTokens })
  await sleep(userDelaySeconds * 1000)
  const userConfig = { url, localAddress: userAddress, username: user.username, password: user.password, count: seconds }
  const userRun = startNode(`logins from ${userAddress}`, [SELF, '--user-client', JSON.stringify(userConfig)], { PATH: process.env.PATH })
  const userDone = new Promise(resolve => { if (userRun.exited) resolve(); else userRun.child.once('exit', resolve) })
  const me = await meRun
  await userDone
  await stop(flood)
  const answers = lastJsonLine(userRun) ?? []
  const report = lastJsonLine(flood) ?? {}
  const counts = report.counts ?? {}

  const ok = answers.filter(a => a.status === 200).length
  const statuses = {}
  for (const a of answers) statuses[a.status] = (statuses[a.status] ?? 0) + 1
  const hashed = (counts[401] ?? 0) + ok + (statuses[401] ?? 0)
  return {
    verifyMs,
    user: {
      attempts: answers.length,
      ok,
      successRate: ok / Math.max(1, answers.length),
      p50: percentile(answers.map(a => a.ms), 0.5),
      p99: percentile(answers.map(a => a.ms), 0.99),
      times: answers.map(a => a.ms),
      statuses
    },
    me,
    flood: { counts, seconds: report.seconds, hashed, perSecond: Object.values(counts).reduce((a, b) => a + b, 0) / report.seconds },
    hashMsUnderFlood: hashed > 0 ? report.seconds * 1000 * hashConcurrency / hashed : NaN
  }
}

if (process.argv[1] === SELF && process.argv[2] === '--flood-client') await floodClient(JSON.parse(process.argv[3]))
if (process.argv[1] === SELF && process.argv[2] === '--user-client') await userClient(JSON.parse(process.argv[3]))
