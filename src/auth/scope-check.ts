import { invalidRequest, invalidScope } from '../errors.js'
import { parseScopeParam } from '../users/scopes.js'

/**
 * Resolves the scopes to grant: all of `available` when nothing is asked for,
 * otherwise the requested ones, each of which must be available.
 */
export function grantScopes (requested: string | undefined, available: readonly string[], holder = 'this user'): string[] {
  if (requested === undefined || requested.trim() === '') return [...available]
  const scopes = parseScopeParam(requested)
  if (scopes === undefined) throw invalidRequest('The scope parameter is malformed')
  const missing = scopes.filter(s => !available.includes(s))
  if (missing.length > 0) throw invalidScope(`Scope not granted to ${holder}: ${missing.join(' ')}`)
  return scopes
}
