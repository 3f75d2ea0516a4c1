/**
 * The first requests a fresh instance answers, one after the other, each
 * timed from send to the last byte: a valid Bearer token on GET /users/me, the
 * same route with none (401), and a POST /token body that fails validation
 * (400, no hashing). They pay what start-up leaves to first use: compiling the
 * route's validators and serializers, opening the store's statements, warming
 * the JIT.
 */
export async function timeFirstRequests (url, token) {
  const timed = async (path, init) => {
    const started = performance.now()
    const response = await fetch(`${url}${path}`, init)
    await response.arrayBuffer()
    return { ms: performance.now() - started, status: response.status }
  }
  const me = await timed('/users/me', { headers: { authorization: `Bearer ${token}` } })
  const unauthorized = await timed('/users/me')
  const invalid = await timed('/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=password&username=' })
  // The same three again: what the same requests cost once compiled.
  const again = [await timed('/users/me', { headers: { authorization: `Bearer ${token}` } }), await timed('/users/me'), await timed('/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=password&username=' })]
  return { me, unauthorized, invalid, again }
}
