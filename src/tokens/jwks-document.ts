import { createHash } from 'node:crypto'

export interface JwksDocument {
  /** The exact bytes sent: hashed for the ETag, so they must never be re-serialized. */
  body: string
  /** A strong validator: the SHA-256 of `body`, quoted. */
  etag: string
  cacheControl: string
}

/**
 * How long a cache may go on serving the document while it refetches in the
 * background. Rotation waits count it (docs/keys.md: a new key is published
 * max-age + this before it signs).
 */
export const JWKS_STALE_WHILE_REVALIDATE_SECONDS = 60

/** The key set is fixed for the life of the process, so the body and its ETag are computed once. */
export function jwksDocument (keys: object[], maxAgeSeconds: number): JwksDocument {
  const body = JSON.stringify({ keys })
  return {
    body,
    etag: `"${createHash('sha256').update(body).digest('base64url')}"`,
    cacheControl: `public, max-age=${maxAgeSeconds}, stale-while-revalidate=${JWKS_STALE_WHILE_REVALIDATE_SECONDS}`
  }
}

/**
 * RFC 9110 §13.1.2: If-None-Match matches with the weak comparison (`W/"x"`
 * matches `"x"`), and `*` matches any current representation.
 */
export function ifNoneMatchHits (header: string | undefined, etag: string): boolean {
  if (header === undefined) return false
  return header.split(',').some(candidate => {
    const tag = candidate.trim()
    return tag === '*' || tag.replace(/^W\//, '') === etag
  })
}
