/**
 * The example's settings, from the environment. Everything that decides
 * whether a token is accepted comes from here, never from the token.
 */
const ALGORITHMS = ['ES256', 'RS256']

function whole (env, name, fallback, min, max) {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) throw new Error(`${name}: expected a whole number from ${min} to ${max}`)
  return Number(raw)
}

export function readSettings (env = process.env) {
  const issuer = (env.GATEHOUSE_ISSUER ?? '').replace(/\/+$/, '')
  if (!/^https?:\/\/[^\s/]+(\/\S*)?$/.test(issuer)) throw new Error('GATEHOUSE_ISSUER: required, gatehouse\'s PUBLIC_URL (the iss of its tokens), e.g. https://auth.example.com')
  const algorithm = env.GATEHOUSE_ALGORITHM ?? 'ES256'
  if (!ALGORITHMS.includes(algorithm)) throw new Error(`GATEHOUSE_ALGORITHM: expected one of ${ALGORITHMS.join(', ')} (gatehouse's JWT_ALGORITHM)`)
  const clientId = env.INTROSPECTION_CLIENT_ID
  const clientSecret = env.INTROSPECTION_CLIENT_SECRET
  if ((clientId === undefined) !== (clientSecret === undefined)) throw new Error('INTROSPECTION_CLIENT_ID, INTROSPECTION_CLIENT_SECRET: set both or neither')
  return {
    host: env.HOST ?? '127.0.0.1',
    port: whole(env, 'PORT', 3000, 0, 65535),
    logLevel: env.LOG_LEVEL ?? 'info',
    issuer,
    audience: env.GATEHOUSE_AUDIENCE ?? 'gatehouse',
    algorithm,
    /** undefined: use the max-age gatehouse sends on its JWKS (read at start). */
    jwksTtlSeconds: env.JWKS_CACHE_TTL_SECONDS === undefined ? undefined : whole(env, 'JWKS_CACHE_TTL_SECONDS', 300, 1, 86400),
    jwksMissCooldownSeconds: whole(env, 'JWKS_MISS_COOLDOWN_SECONDS', 30, 0, 3600),
    introspection: clientId === undefined
      ? undefined
      : { url: env.INTROSPECTION_URL ?? `${issuer}/introspect`, clientId, clientSecret }
  }
}
