import type SQLite from 'better-sqlite3'
import type { Kysely, Selectable } from 'kysely'
import type { ClientChanges, ClientGrantType, NewClient, OAuthClient } from './client.js'
import { declareWrites } from './declared-writes.js'
import type { Database, ClientsTable } from './schema.js'
import { NO_SESSION_CACHE, type SessionInvalidation } from './session-cache.js'
import { isUniqueViolation } from './unique-violation.js'

export class ClientIdTakenError extends Error {
  constructor (clientId: string) {
    super(`client_id "${clientId}" is taken`)
    this.name = 'ClientIdTakenError'
  }
}

const words = (value: string): string[] => value === '' ? [] : value.split(' ')

export function toClient (row: Selectable<ClientsTable>): OAuthClient {
  return {
    id: row.id,
    name: row.name,
    secretHash: row.secret_hash,
    grantTypes: words(row.grant_types) as ClientGrantType[],
    scopes: words(row.scopes),
    accessTokenTtlSeconds: row.access_token_ttl_seconds === null ? null : Number(row.access_token_ttl_seconds),
    disabled: Number(row.disabled) === 1,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    secretRotatedAt: row.secret_rotated_at === null ? null : Number(row.secret_rotated_at)
  }
}

export interface ClientsRepository {
  findById: (clientId: string) => Promise<OAuthClient | undefined>
  create: (client: NewClient) => Promise<OAuthClient>
  /**
   * Changes the listed columns; undefined for an unknown client. Disabling a
   * client also revokes every session opened through it, in the same
   * transaction, so that its users' tokens fail at once too.
   */
  update: (clientId: string, changes: ClientChanges) => Promise<OAuthClient | undefined>
  /** A new secret (or none: the client becomes public); undefined for an unknown client. */
  setSecretHash: (clientId: string, secretHash: string | null) => Promise<OAuthClient | undefined>
  /** Deletes the client and (by cascade) the sessions opened through it; false for an unknown client. */
  delete: (clientId: string) => Promise<boolean>
  /** Keyset pagination by client_id. */
  list: (options: { after?: string, limit: number }) => Promise<OAuthClient[]>
}

export function createClientsRepository (db: Kysely<Database>, now: () => number = Date.now, cache: SessionInvalidation = NO_SESSION_CACHE, options: { uncommittedReads?: boolean, sqlite?: SQLite.Database } = {}): ClientsRepository {
  const write = declareWrites(cache, options)
  // Every client authentication (each /introspect call) reads its client: on SQLite a statement prepared once,
  // as the Bearer lookup does (building and preparing the query per call cost more than the read).
  const findStatement = options.sqlite?.prepare('select * from clients where id = ?')
  const sessionIdsOf = async (trx: Kysely<Database>, clientId: string, onlyLive: boolean): Promise<string[]> => {
    let query = trx.selectFrom('sessions').select('id').where('client_id', '=', clientId)
    if (onlyLive) query = query.where('revoked_at', 'is', null)
    return (await query.execute()).map(r => r.id)
  }

  return {
    async findById (clientId) {
      if (findStatement !== undefined) {
        const found = findStatement.get(clientId) as Selectable<ClientsTable> | undefined
        return found === undefined ? undefined : toClient(found)
      }
      const row = await db.selectFrom('clients').selectAll().where('id', '=', clientId).executeTakeFirst()
      return row === undefined ? undefined : toClient(row)
    },

    // Touches no session row: declared all the same, so that every write of a repository is.
    create: write(() => ({}), async (client: NewClient) => {
      const at = now()
      try {
        const row = await db.insertInto('clients').values({
          id: client.id,
          name: client.name,
          secret_hash: client.secretHash,
          grant_types: client.grantTypes.join(' '),
          scopes: client.scopes.join(' '),
          access_token_ttl_seconds: client.accessTokenTtlSeconds,
          disabled: client.disabled ? 1 : 0,
          created_at: at,
          updated_at: at,
          secret_rotated_at: null
        }).returningAll().executeTakeFirstOrThrow()
        return toClient(row)
      } catch (err) {
        if (isUniqueViolation(err)) throw new ClientIdTakenError(client.id)
        throw err
      }
    }),

    update: write((_, result) => ({ sessions: result.revoked }), async (clientId: string, changes: ClientChanges) => {
      return await db.transaction().execute(async trx => {
        const at = now()
        const row = await trx.updateTable('clients').set({
          updated_at: at,
          ...(changes.name !== undefined && { name: changes.name }),
          ...(changes.grantTypes !== undefined && { grant_types: changes.grantTypes.join(' ') }),
          ...(changes.scopes !== undefined && { scopes: changes.scopes.join(' ') }),
          ...(changes.accessTokenTtlSeconds !== undefined && { access_token_ttl_seconds: changes.accessTokenTtlSeconds }),
          ...(changes.disabled !== undefined && { disabled: changes.disabled ? 1 : 0 })
        }).where('id', '=', clientId).returningAll().executeTakeFirst()
        if (row === undefined) return { client: undefined, revoked: [] }
        let revoked: string[] = []
        if (changes.disabled === true) {
          revoked = await sessionIdsOf(trx, clientId, true)
          await trx.updateTable('sessions').set({ revoked_at: at })
            .where('client_id', '=', clientId).where('revoked_at', 'is', null).execute()
        }
        return { client: toClient(row), revoked }
      })
    }, inner => inner.client),

    setSecretHash: write(() => ({}), async (clientId: string, secretHash: string | null) => {
      const at = now()
      const row = await db.updateTable('clients').set({ secret_hash: secretHash, secret_rotated_at: at, updated_at: at })
        .where('id', '=', clientId).returningAll().executeTakeFirst()
      return row === undefined ? undefined : toClient(row)
    }),

    delete: write((_, result) => ({ sessions: result.sessions }), async (clientId: string) => {
      return await db.transaction().execute(async trx => {
        const sessions = await sessionIdsOf(trx, clientId, false)
        // The foreign key cascades to the sessions and their refresh tokens.
        const result = await trx.deleteFrom('clients').where('id', '=', clientId).executeTakeFirst()
        return { deleted: Number(result.numDeletedRows) > 0, sessions }
      })
    }, inner => inner.deleted),

    async list ({ after, limit }) {
      let query = db.selectFrom('clients').selectAll().orderBy('id').limit(limit)
      if (after !== undefined) query = query.where('id', '>', after)
      return (await query.execute()).map(toClient)
    }
  }
}
