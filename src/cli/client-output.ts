import { textTable } from './table.js'
import type { ClientView } from '../../schemas/clients.js'

const COLUMNS = ['client_id', 'name', 'type', 'grant_types', 'scopes', 'ttl', 'disabled'] as const

function cells (client: ClientView): string[] {
  return [
    client.client_id,
    client.name,
    client.public ? 'public' : 'confidential',
    client.grant_types.join(' '),
    client.scopes.join(' ') || '-',
    client.access_token_ttl_seconds === null ? 'default' : `${client.access_token_ttl_seconds}s`,
    client.disabled ? 'yes' : 'no'
  ]
}

/** `client list`: a table with a header line, columns padded to their widest cell. */
export function clientTable (clients: readonly ClientView[]): string {
  if (clients.length === 0) return 'no clients yet'
  return textTable([COLUMNS, ...clients.map(cells)])
}

/** The one time a secret is shown: labelled, with the warning on a line of its own. */
export function secretLines (clientId: string, secret: string): string {
  return `client_id:     ${clientId}\nclient_secret: ${secret}\nThis secret will not be shown again: store it now (only its hash is kept).`
}
