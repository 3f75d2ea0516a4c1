const TIMEOUT_MS = 5000

/** RFC 6749 §2.3.1: both parts form-urlencoded, then Basic. */
function basic (clientId, clientSecret) {
  const encode = value => encodeURIComponent(value).replace(/%20/g, '+')
  return 'Basic ' + Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString('base64')
}

/**
 * Asks gatehouse (RFC 7662 POST /introspect) whether a token is still active,
 * authenticated as a registered client holding the `introspect` scope. Throws
 * when gatehouse cannot answer: the caller refuses then (fail closed).
 */
export function createIntrospector ({ url, clientId, clientSecret }) {
  const authorization = basic(clientId, clientSecret)
  return async function introspect (token) {
    const res = await fetch(url, {
      method: 'POST',
      headers: { authorization, accept: 'application/json' },
      body: new URLSearchParams({ token, token_type_hint: 'access_token' }),
      signal: AbortSignal.timeout(TIMEOUT_MS)
    })
    if (!res.ok) throw new Error(`introspection answered ${res.status}`)
    const body = await res.json()
    if (typeof body?.active !== 'boolean') throw new Error('introspection answered without a boolean active')
    return body
  }
}
