import { createHmac, createSign, sign as oneShotSign, type KeyObject } from 'node:crypto'

/**
 * Hand-made JWTs for the adversarial suite. Segments are built from raw JSON
 * text so a test can produce what no JWT library would: duplicate keys,
 * non-object headers and payloads, odd encodings.
 */
export const segment = (json: string): string => Buffer.from(json, 'utf8').toString('base64url')
export const encode = (value: unknown): string => segment(JSON.stringify(value))

export function hmac (signingInput: string, secret: string | Buffer): string {
  return createHmac('sha256', secret).update(signingInput).digest('base64url')
}

/** A compact JWS over raw header and payload JSON texts, HMAC-SHA256 with `secret`. */
export function hs256Raw (headerJson: string, payloadJson: string, secret: string | Buffer): string {
  const input = `${segment(headerJson)}.${segment(payloadJson)}`
  return `${input}.${hmac(input, secret)}`
}

export function hs256 (header: object, payload: unknown, secret: string | Buffer): string {
  return hs256Raw(JSON.stringify(header), JSON.stringify(payload), secret)
}

/** RS256 / ES256 (JOSE r||s form) / EdDSA signatures with a real private key. */
export function asymmetric (alg: 'RS256' | 'ES256' | 'EdDSA', header: object, payload: unknown, key: KeyObject): string {
  const input = `${encode(header)}.${encode(payload)}`
  let signature: Buffer
  if (alg === 'EdDSA') signature = oneShotSign(null, Buffer.from(input), key)
  else if (alg === 'ES256') signature = oneShotSign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' })
  else signature = createSign('RSA-SHA256').update(input).sign(key)
  return `${input}.${signature.toString('base64url')}`
}

export interface ClaimSource {
  iss: string
  aud: string
  sub: string
  sid: string
  scope?: string
}

/** A claim set that would be accepted, to be broken one way at a time. */
export function validClaims (source: ClaimSource, nowSeconds = Math.floor(Date.now() / 1000)): Record<string, unknown> {
  return {
    iss: source.iss,
    aud: source.aud,
    sub: source.sub,
    iat: nowSeconds,
    exp: nowSeconds + 600,
    jti: 'c0ffee00-0000-4000-8000-000000000000',
    scope: source.scope ?? '',
    sid: source.sid,
    auth_time: nowSeconds
  }
}

export function parts (token: string): [string, string, string] {
  const [h = '', p = '', s = ''] = token.split('.')
  return [h, p, s]
}

export function decodePayload (token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(parts(token)[1], 'base64url').toString('utf8'))
}
