import { fileURLToPath } from 'node:url'
import { loadGeneratorNice, startNode } from './processes.mjs'

/**
 * autocannon runs in child processes of their own (load-client.mjs), which
 * hold nothing but their requests. In the bench's process it shared a thread
 * and a heap with the bench's own data (seeded stores, 20,000 tokens, about
 * 300 MB), and its pauses capped the fastest targets: the bare floor was
 * measured at the client's ceiling, not the server's. A client is kept for
 * the next run (its JIT stays warm); two runs at once use two clients.
 */
const CLIENT = fileURLToPath(new URL('./load-client.mjs', import.meta.url))
const idle = []

function keepsAlive ({ child }, yes) {
  for (const part of [child, child.channel, child.stdout, child.stderr]) {
    if (yes) part?.ref()
    else part?.unref()
  }
}

function acquireClient () {
  while (idle.length > 0) {
    const handle = idle.pop()
    if (handle.exited) continue
    keepsAlive(handle, true)
    return handle
  }
  return startNode('load client', [CLIENT], { PATH: process.env.PATH }, { ipc: true, nice: loadGeneratorNice() })
}

/** An idle client does not keep this process alive; it exits when this process does (load-client.mjs). */
function releaseClient (handle) {
  if (handle.exited) return
  keepsAlive(handle, false)
  idle.push(handle)
}

/** Starts a run; `done` resolves with its summary. `stop()` ends it early. */
export function startLoad ({ url, connections, seconds, requests }) {
  const handle = acquireClient()
  const done = new Promise((resolve, reject) => {
    const onExit = code => {
      handle.child.off('message', onMessage)
      reject(new Error(`the load client exited (${code}) during a run:\n${handle.stderr}`))
    }
    const onMessage = summary => {
      handle.child.off('exit', onExit)
      releaseClient(handle)
      if (summary.error !== undefined) reject(new Error(summary.error))
      else resolve(summary)
    }
    handle.child.once('message', onMessage)
    handle.child.once('exit', onExit)
  })
  handle.child.send({ run: { url, connections, seconds, requests } })
  return { done, stop: () => { if (!handle.exited) handle.child.send({ stop: true }) } }
}

/**
 * Every GET /users/me run (all targets) uses the same request generator,
 * cycling through the given tokens, so the load generator costs every target
 * the same.
 */
export async function loadMe ({ url, connections, seconds, tokens }) {
  return await startLoad({ url, connections, seconds, requests: { kind: 'me', tokens } }).done
}

/** POST /introspect of the given user tokens, one client authenticating with HTTP Basic. */
export async function loadIntrospect ({ url, connections, seconds, tokens, authorization }) {
  return await startLoad({ url, connections, seconds, requests: { kind: 'introspect', tokens, authorization } }).done
}

export function startLogins ({ url, connections, seconds, usernames, password }) {
  return startLoad({ url, connections, seconds, requests: { kind: 'login', usernames, password } })
}
