import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely'

/**
 * Versioned migrations, in code so they ship inside the compiled build. The
 * same migrations run on SQLite and PostgreSQL; Kysely's migrator records them
 * in `kysely_migration` and takes a lock so instances starting together apply
 * each migration once.
 */
export type Dialect = 'sqlite' | 'postgres'

const migrations = (dialect: Dialect): Record<string, Migration> => ({
  '001_users': {
    async up (db: Kysely<any>) {
      // SQLite's INTEGER PRIMARY KEY is its rowid alias; PostgreSQL needs a sequence.
      const idType = dialect === 'postgres' ? 'bigserial' : 'integer'
      await db.schema.createTable('users')
        .addColumn('id', sql.raw(idType) as any, col => col.primaryKey().notNull())
        .addColumn('username', 'varchar(64)', col => col.notNull().unique())
        .addColumn('email', 'varchar(320)')
        .addColumn('full_name', 'varchar(200)')
        .addColumn('password_hash', 'varchar(255)', col => col.notNull())
        .addColumn('disabled', 'integer', col => col.notNull().defaultTo(0))
        .addColumn('scopes', 'varchar(2000)', col => col.notNull().defaultTo(''))
        .addColumn('created_at', 'bigint', col => col.notNull())
        .addColumn('updated_at', 'bigint', col => col.notNull())
        .execute()
    },
    async down (db: Kysely<any>) {
      await db.schema.dropTable('users').execute()
    }
  },
  '002_sessions': {
    async up (db: Kysely<any>) {
      await db.schema.createTable('sessions')
        .addColumn('id', 'varchar(32)', col => col.primaryKey())
        .addColumn('user_id', 'bigint', col => col.notNull().references('users.id').onDelete('cascade'))
        .addColumn('scope', 'varchar(2000)', col => col.notNull())
        .addColumn('auth_time', 'bigint', col => col.notNull())
        .addColumn('created_at', 'bigint', col => col.notNull())
        .addColumn('last_used_at', 'bigint', col => col.notNull())
        .addColumn('expires_at', 'bigint', col => col.notNull())
        .addColumn('user_agent', 'varchar(512)')
        .addColumn('ip', 'varchar(64)')
        .addColumn('revoked_at', 'bigint')
        .execute()
      await db.schema.createIndex('sessions_user_id').on('sessions').column('user_id').execute()
      await db.schema.createTable('refresh_tokens')
        .addColumn('hash', 'varchar(64)', col => col.primaryKey())
        .addColumn('session_id', 'varchar(32)', col => col.notNull().references('sessions.id').onDelete('cascade'))
        .addColumn('generation', 'integer', col => col.notNull())
        .addColumn('created_at', 'bigint', col => col.notNull())
        .addColumn('used_at', 'bigint')
        .execute()
      await db.schema.createIndex('refresh_tokens_session_id').on('refresh_tokens').column('session_id').execute()
    },
    async down (db: Kysely<any>) {
      await db.schema.dropTable('refresh_tokens').execute()
      await db.schema.dropTable('sessions').execute()
    }
  },
  '003_username_byte_order': {
    // Keyset pagination orders by username. SQLite compares bytes; a
    // PostgreSQL database created with a linguistic collation (en_US…) would
    // order punctuation differently, so pin the column to byte order there too.
    async up (db: Kysely<any>) {
      if (dialect === 'postgres') await sql`alter table users alter column username type varchar(64) collate "C"`.execute(db)
    },
    async down (db: Kysely<any>) {
      if (dialect === 'postgres') await sql`alter table users alter column username type varchar(64) collate "default"`.execute(db)
    }
  },
  '004_lockout_generation': {
    // Bumped by `user unlock` and admin password resets: login counters made
    // under an older generation no longer lock (src/auth/login-throttle.ts).
    // In the database so that the CLI, another process, reaches every instance.
    async up (db: Kysely<any>) {
      await db.schema.alterTable('users').addColumn('lockout_generation', 'integer', col => col.notNull().defaultTo(0)).execute()
    },
    async down (db: Kysely<any>) {
      await db.schema.alterTable('users').dropColumn('lockout_generation').execute()
    }
  }
})

export const migrationProvider = (dialect: Dialect): MigrationProvider => ({
  getMigrations: async () => migrations(dialect)
})
