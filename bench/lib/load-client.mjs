// The load generator of bench/lib/load.mjs, as a child process: receives
// runs over IPC ({ run }), one at a time, runs autocannon and sends back each
// run's summary. { stop: true } ends the run in progress early.
import autocannon from 'autocannon'

/** A request generator cycling through `values`, each request built by `build`. */
function cycling (values, base, build) {
  let next = 0
  return [{
    ...base,
    setupRequest (request) {
      const value = values[next]
      next = (next + 1) % values.length
      return build(request, value)
    }
  }]
}

const generators = {
  me: ({ tokens }) => cycling(tokens, { method: 'GET', path: '/users/me' }, (request, token) => {
    request.headers = { ...request.headers, authorization: `Bearer ${token}` }
    return request
  }),
  introspect: ({ tokens, authorization }) => cycling(tokens, {
    method: 'POST',
    path: '/introspect',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization }
  }, (request, token) => {
    request.body = `token=${token}&token_type_hint=access_token`
    return request
  }),
  login: ({ usernames, password }) => cycling(usernames, {
    method: 'POST',
    path: '/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' }
  }, (request, username) => {
    request.body = new URLSearchParams({ grant_type: 'password', username, password }).toString()
    return request
  })
}

function summarise (result, seconds) {
  return {
    rps: result['2xx'] / seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    ok: result['2xx'],
    non2xx: result.non2xx,
    status503: result.statusCodeStats?.['503']?.count ?? 0,
    errors: result.errors + result.timeouts,
    seconds
  }
}

let current // the autocannon instance of the run in progress

process.on('message', message => {
  if (message.stop === true) { current?.stop(); return }
  const { url, connections, seconds, requests } = message.run
  const startedAt = performance.now()
  current = autocannon({ url, connections, duration: seconds, requests: generators[requests.kind](requests), timeout: 30 }, (err, result) => {
    current = undefined
    process.send(err ? { error: err.message } : summarise(result, (performance.now() - startedAt) / 1000))
  })
})
// The bench ended (or died): nothing more will come.
process.on('disconnect', () => process.exit(0))
