import autocannon from 'autocannon'

/**
 * autocannon runs, in this process. Every GET /users/me run (all three
 * targets) uses the same request generator, cycling through the tokens of
 * 1,000 distinct users, so the load generator costs every target the same.
 */
function meRequests (tokens) {
  let next = 0
  return [{
    method: 'GET',
    path: '/users/me',
    setupRequest (request) {
      const token = tokens[next]
      next = (next + 1) % tokens.length
      request.headers = { ...request.headers, authorization: `Bearer ${token}` }
      return request
    }
  }]
}

/** POST /introspect of the same 1,000 user tokens, one client authenticating with HTTP Basic. */
function introspectRequests (tokens, authorization) {
  let next = 0
  return [{
    method: 'POST',
    path: '/introspect',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization },
    setupRequest (request) {
      const token = tokens[next]
      next = (next + 1) % tokens.length
      request.body = `token=${token}&token_type_hint=access_token`
      return request
    }
  }]
}

function loginRequests (usernames, password) {
  let next = 0
  return [{
    method: 'POST',
    path: '/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    setupRequest (request) {
      const name = usernames[next]
      next = (next + 1) % usernames.length
      request.body = new URLSearchParams({ grant_type: 'password', username: name, password }).toString()
      return request
    }
  }]
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

/** Starts a run; `done` resolves with its summary. `stop()` ends it early. */
export function startLoad ({ url, connections, seconds, requests }) {
  const startedAt = performance.now()
  let instance
  const done = new Promise((resolve, reject) => {
    instance = autocannon({ url, connections, duration: seconds, requests, timeout: 30 }, (err, result) => {
      if (err) reject(err)
      else resolve(summarise(result, (performance.now() - startedAt) / 1000))
    })
  })
  return { done, stop: () => instance.stop() }
}

export async function loadMe ({ url, connections, seconds, tokens }) {
  return await startLoad({ url, connections, seconds, requests: meRequests(tokens) }).done
}

export async function loadIntrospect ({ url, connections, seconds, tokens, authorization }) {
  return await startLoad({ url, connections, seconds, requests: introspectRequests(tokens, authorization) }).done
}

export function startLogins ({ url, connections, seconds, usernames, password }) {
  return startLoad({ url, connections, seconds, requests: loginRequests(usernames, password) })
}
