/** RFC 6749 §3.3 scope-token: printable ASCII except space, `"` and `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]{1,64}$/

export const ADMIN_SCOPE = 'users:admin'
/** Manages registered OAuth clients (/clients). */
export const CLIENTS_ADMIN_SCOPE = 'clients:admin'
/** A client holding it may call POST /introspect (RFC 7662). */
export const INTROSPECT_SCOPE = 'introspect'
export const KNOWN_SCOPES = [ADMIN_SCOPE, CLIENTS_ADMIN_SCOPE, INTROSPECT_SCOPE] as const

export const SCOPE_DESCRIPTIONS: Record<typeof KNOWN_SCOPES[number], string> = {
  [ADMIN_SCOPE]: 'Manage users',
  [CLIENTS_ADMIN_SCOPE]: 'Manage registered OAuth clients',
  [INTROSPECT_SCOPE]: 'Introspect tokens (RFC 7662), for registered clients'
}

export function isValidScope (scope: string): boolean {
  return SCOPE_TOKEN.test(scope)
}

/** Splits a space-separated scope parameter; undefined when it is malformed. */
export function parseScopeParam (value: string): string[] | undefined {
  const scopes = value.split(' ').filter(s => s.length > 0)
  if (!scopes.every(isValidScope)) return undefined
  return [...new Set(scopes)]
}

export function normalizeScopes (scopes: readonly string[]): string[] {
  return [...new Set(scopes)].sort()
}
