import { InvalidArgumentError } from 'commander'
import type { ClientRegistry } from '../clients/client-registry.js'
import { toClientView } from '../clients/client-view.js'
import type { OAuthClient } from '../store/client.js'
import { clientTable, secretLines } from './client-output.js'
import { GatehouseCommand } from './command.js'

/** The store is opened only by the commands that use it: help and usage errors stay quick. */
async function withClients<T> (fn: (clients: ClientRegistry) => Promise<T>): Promise<T> {
  const { withClients: run } = await import('./with-clients.js')
  return await run(fn)
}

const list = (value: string | undefined): string[] | undefined =>
  value === undefined ? undefined : value.split(',').map(s => s.trim()).filter(Boolean)
const json = (value: unknown): string => JSON.stringify(value, null, 2)
const LIST_PAGE = 200

function seconds (value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('Expected a whole number of seconds.')
  return Number(value)
}

function describe (client: OAuthClient): string {
  const kind = client.secretHash === null ? 'public' : 'confidential'
  const scopes = client.scopes.length > 0 ? client.scopes.join(' ') : '(none)'
  return `created ${kind} client ${client.id}: grant types ${client.grantTypes.join(' ')}; scopes ${scopes}`
}

/** `gatehouse client …`: registered OAuth clients, with the admin API's rules (src/clients/client-registry.ts). */
export function clientCommands (print: (text: string) => void): GatehouseCommand {
  const client = new GatehouseCommand('client').description('register, change, list and remove OAuth clients')

  client.command('add').description('register a client; a confidential client\'s secret is printed this once')
    .argument('<client_id>', '3 to 64 letters, digits and . _ ~ -')
    .option('--name <name>', 'a name for people (default: the client_id)')
    .option('--grant-types <a,b>', 'comma-separated: client_credentials, password, refresh_token (default: client_credentials; password,refresh_token for --public)')
    .option('--scopes <a,b>', 'comma-separated scopes the client may ask for, such as introspect')
    .option('--ttl <seconds>', 'access-token lifetime for this client, 60 to 86400 (default: ACCESS_TOKEN_EXPIRE_MINUTES)', seconds)
    .option('--public', 'a public client: no secret, and no client_credentials')
    .option('--json', 'print JSON (the API\'s answer, secret included)')
    .action(async (clientId: string, options: { name?: string, grantTypes?: string, scopes?: string, ttl?: number, public?: boolean, json?: boolean }) => {
      const { client: created, secret } = await withClients(async clients => await clients.register({
        clientId,
        name: options.name,
        grantTypes: list(options.grantTypes),
        scopes: list(options.scopes),
        accessTokenTtlSeconds: options.ttl ?? null,
        public: options.public === true
      }))
      if (options.json === true) {
        print(json({ ...toClientView(created), ...(secret !== undefined && { client_secret: secret }) }))
        return
      }
      print(describe(created))
      if (secret !== undefined) print(secretLines(created.id, secret))
    })

  client.command('list').description('list every client, ordered by client_id')
    .option('--json', 'print JSON (the API\'s client objects) instead of a table')
    .action(async (options: { json?: boolean }) => {
      const all = await withClients(async clients => {
        const found: OAuthClient[] = []
        let after: string | undefined
        do {
          const page = await clients.list({ after, limit: LIST_PAGE })
          found.push(...page.clients)
          after = page.nextCursor ?? undefined
        } while (after !== undefined)
        return found
      })
      const views = all.map(toClientView)
      print(options.json === true ? json(views) : clientTable(views))
    })

  for (const action of ['disable', 'enable'] as const) {
    client.command(action).description(action === 'disable' ? 'disable the client: every session opened through it ends, its tokens stop working' : 'enable a disabled client')
      .argument('<client_id>')
      .action(async (clientId: string) => {
        await withClients(async clients => await clients.update(clientId, { disabled: action === 'disable' }))
        print(`${action}d client ${clientId}`)
      })
  }

  client.command('delete').description('delete the client and every session opened through it')
    .argument('<client_id>')
    .action(async (clientId: string) => {
      await withClients(async clients => { await clients.delete(clientId) })
      print(`deleted client ${clientId}`)
    })

  client.command('rotate-secret').description('give a confidential client a new secret, printed this once; the old one stops working at once')
    .argument('<client_id>')
    .action(async (clientId: string) => {
      const { secret } = await withClients(async clients => await clients.rotateSecret(clientId))
      print(secretLines(clientId, secret))
    })

  return client
}
