import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely'

/**
 * Versioned migrations, in code so they ship inside the compiled build. The
 * same migrations run on SQLite and PostgreSQL; Kysely's migrator records them
 * in `kysely_migration` and takes a lock so instances starting together apply
 * each migration once.
 */
export type Dialect = 'sqlite' | 'postgres'

/**
 * The notification channel of the tables' schema: in the trigger
 * `tg_table_schema`, for the listener its `current_schema()`, where the
 * migrations created the tables. NOTIFY channels are identifiers (at most 63
 * bytes); two long schema names cut to the same channel would only cost each
 * other extra invalidations.
 */
const CHANNEL_SQL = "left('gatehouse.' || tg_table_schema, 63)"
export const LISTENER_CHANNEL_SQL = "select left('gatehouse.' || current_schema(), 63) as channel"

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
  },
  '005_session_notifications': {
    // PostgreSQL only: every change to a session or a user, by any instance,
    // the CLI or manual SQL, notifies the instances' session caches
    // (session-notifications.ts), at commit and only if it commits. The
    // channel is named after the schema, so deployments sharing a database
    // do not hear each other. SQLite has nothing to do: its other processes'
    // commits are seen through PRAGMA data_version (sqlite-changes.ts).
    async up (db: Kysely<any>) {
      if (dialect !== 'postgres') return
      await sql.raw(`
        create function gatehouse_notify_change() returns trigger language plpgsql as $$
        begin
          if tg_op = 'TRUNCATE' then
            perform pg_notify(${CHANNEL_SQL}, '*');
          else
            perform pg_notify(${CHANNEL_SQL}, tg_argv[0] || old.id);
          end if;
          return null;
        end $$;
        create trigger sessions_notify after update or delete on sessions
          for each row execute function gatehouse_notify_change('s:');
        create trigger users_notify after update or delete on users
          for each row execute function gatehouse_notify_change('u:');
        create trigger sessions_notify_truncate after truncate on sessions
          for each statement execute function gatehouse_notify_change();
        create trigger users_notify_truncate after truncate on users
          for each statement execute function gatehouse_notify_change();
      `).execute(db)
    },
    async down (db: Kysely<any>) {
      if (dialect !== 'postgres') return
      await sql.raw(`
        drop trigger users_notify_truncate on users;
        drop trigger sessions_notify_truncate on sessions;
        drop trigger users_notify on users;
        drop trigger sessions_notify on sessions;
        drop function gatehouse_notify_change();
      `).execute(db)
    }
  },
  '006_clients': {
    // Registered OAuth clients (RFC 6749 §2). A session remembers the client it
    // was opened through: only that client may refresh it, and deleting the
    // client deletes its sessions. A change to a client notifies the session
    // caches; the listener does not parse 'c:' and drops its whole cache (clients change rarely).
    async up (db: Kysely<any>) {
      await db.schema.createTable('clients')
        .addColumn('id', 'varchar(64)', col => col.primaryKey())
        .addColumn('name', 'varchar(200)', col => col.notNull())
        .addColumn('secret_hash', 'varchar(64)')
        .addColumn('grant_types', 'varchar(200)', col => col.notNull())
        .addColumn('scopes', 'varchar(2000)', col => col.notNull().defaultTo(''))
        .addColumn('access_token_ttl_seconds', 'integer')
        .addColumn('disabled', 'integer', col => col.notNull().defaultTo(0))
        .addColumn('created_at', 'bigint', col => col.notNull())
        .addColumn('updated_at', 'bigint', col => col.notNull())
        .addColumn('secret_rotated_at', 'bigint')
        .execute()
      await db.schema.alterTable('sessions')
        .addColumn('client_id', 'varchar(64)', col => col.references('clients.id').onDelete('cascade'))
        .execute()
      await db.schema.createIndex('sessions_client_id').on('sessions').column('client_id').execute()
      if (dialect === 'postgres') {
        await sql.raw(`
          create trigger clients_notify after update or delete on clients
            for each row execute function gatehouse_notify_change('c:');
          create trigger clients_notify_truncate after truncate on clients
            for each statement execute function gatehouse_notify_change();
        `).execute(db)
      }
    },
    async down (db: Kysely<any>) {
      if (dialect === 'postgres') {
        await sql.raw(`
          drop trigger clients_notify_truncate on clients;
          drop trigger clients_notify on clients;
        `).execute(db)
      }
      await db.schema.dropIndex('sessions_client_id').execute()
      await db.schema.alterTable('sessions').dropColumn('client_id').execute()
      await db.schema.dropTable('clients').execute()
    }
  },
  '007_mail_outbox': {
    // Mail to send, written in the transaction of whatever it announces
    // (src/store/outbox-repository.ts). A claim sets claim_token and moves
    // next_attempt_at to the end of a lease: a process that dies while sending
    // leaves the mail due again once the lease is over. The bodies are blanked
    // once the mail is sent or failed for good (they carry one-time tokens).
    async up (db: Kysely<any>) {
      const idType = dialect === 'postgres' ? 'bigserial' : 'integer'
      await db.schema.createTable('mail_outbox')
        .addColumn('id', sql.raw(idType) as any, col => col.primaryKey().notNull())
        .addColumn('recipient', 'varchar(320)', col => col.notNull())
        .addColumn('recipient_name', 'varchar(200)')
        .addColumn('subject', 'varchar(500)', col => col.notNull())
        .addColumn('text_body', 'text')
        .addColumn('html_body', 'text')
        .addColumn('status', 'varchar(16)', col => col.notNull())
        .addColumn('attempts', 'integer', col => col.notNull().defaultTo(0))
        .addColumn('next_attempt_at', 'bigint', col => col.notNull())
        .addColumn('claim_token', 'varchar(32)')
        .addColumn('last_error', 'varchar(500)')
        .addColumn('created_at', 'bigint', col => col.notNull())
        .addColumn('updated_at', 'bigint', col => col.notNull())
        .execute()
      await db.schema.createIndex('mail_outbox_due').on('mail_outbox').columns(['status', 'next_attempt_at']).execute()
    },
    async down (db: Kysely<any>) {
      await db.schema.dropTable('mail_outbox').execute()
    }
  },
  '008_account_tokens': {
    // One-time tokens mailed to a user (password reset, email verification),
    // kept only as SHA-256 hashes. `email` is the address the token was sent
    // to: a verification token confirms that address only, and stops working
    // once the user's email changed. Used and superseded tokens keep their row
    // (used_at set) until they expire; expired rows are pruned on issue.
    async up (db: Kysely<any>) {
      await db.schema.alterTable('users').addColumn('email_verified', 'integer', col => col.notNull().defaultTo(0)).execute()
      await db.schema.createTable('account_tokens')
        .addColumn('hash', 'varchar(64)', col => col.primaryKey())
        .addColumn('user_id', 'bigint', col => col.notNull().references('users.id').onDelete('cascade'))
        .addColumn('purpose', 'varchar(32)', col => col.notNull())
        .addColumn('email', 'varchar(320)', col => col.notNull())
        .addColumn('created_at', 'bigint', col => col.notNull())
        .addColumn('expires_at', 'bigint', col => col.notNull())
        .addColumn('used_at', 'bigint')
        .execute()
      await db.schema.createIndex('account_tokens_user_purpose').on('account_tokens').columns(['user_id', 'purpose']).execute()
      await db.schema.createIndex('account_tokens_expires_at').on('account_tokens').column('expires_at').execute()
    },
    async down (db: Kysely<any>) {
      await db.schema.dropTable('account_tokens').execute()
      await db.schema.alterTable('users').dropColumn('email_verified').execute()
    }
  },
  '009_users_email_index': {
    // A password reset asked for by email finds its users by lower(email):
    // without this index, every request (known address or not) scans the table.
    async up (db: Kysely<any>) {
      await sql`create index users_email_lower on users (lower(email))`.execute(db)
    },
    async down (db: Kysely<any>) {
      await db.schema.dropIndex('users_email_lower').execute()
    }
  },
  '010_mfa': {
    // The second factor (src/mfa). Kept out of the users table, so the Bearer
    // lookup reads nothing new: a token's `amr` claim says how its session
    // logged in, and `sessions.amr` keeps that for the refreshed tokens.
    // mfa_totp: one row per user; `secret` is AES-GCM sealed (secret-box.ts);
    // confirmed_at null while enrolment waits for its first code; last_step is
    // the last time step accepted (replay: a conditional update, atomic on
    // every instance). mfa_challenges: the mfa_token of a password grant that
    // needs the second factor, kept as a hash, bound to the user, the client
    // and the password check's time.
    async up (db: Kysely<any>) {
      await db.schema.createTable('mfa_totp')
        .addColumn('user_id', 'bigint', col => col.primaryKey().references('users.id').onDelete('cascade'))
        .addColumn('secret', 'varchar(255)', col => col.notNull())
        .addColumn('confirmed_at', 'bigint')
        .addColumn('last_step', 'bigint', col => col.notNull().defaultTo(0))
        .addColumn('created_at', 'bigint', col => col.notNull())
        .execute()
      await db.schema.createTable('mfa_recovery_codes')
        .addColumn('hash', 'varchar(64)', col => col.primaryKey())
        .addColumn('user_id', 'bigint', col => col.notNull().references('users.id').onDelete('cascade'))
        .addColumn('created_at', 'bigint', col => col.notNull())
        .addColumn('used_at', 'bigint')
        .execute()
      await db.schema.createIndex('mfa_recovery_codes_user_id').on('mfa_recovery_codes').column('user_id').execute()
      await db.schema.createTable('mfa_challenges')
        .addColumn('hash', 'varchar(64)', col => col.primaryKey())
        .addColumn('user_id', 'bigint', col => col.notNull().references('users.id').onDelete('cascade'))
        .addColumn('client_id', 'varchar(64)', col => col.references('clients.id').onDelete('cascade'))
        .addColumn('scope', 'varchar(2000)', col => col.notNull())
        .addColumn('auth_time', 'bigint', col => col.notNull())
        .addColumn('attempts', 'integer', col => col.notNull().defaultTo(0))
        .addColumn('created_at', 'bigint', col => col.notNull())
        .addColumn('expires_at', 'bigint', col => col.notNull())
        .addColumn('used_at', 'bigint')
        .execute()
      await db.schema.createIndex('mfa_challenges_expires_at').on('mfa_challenges').column('expires_at').execute()
      await db.schema.createIndex('mfa_challenges_user_id').on('mfa_challenges').column('user_id').execute()
      await db.schema.alterTable('sessions').addColumn('amr', 'varchar(64)', col => col.notNull().defaultTo('pwd')).execute()
    },
    async down (db: Kysely<any>) {
      await db.schema.alterTable('sessions').dropColumn('amr').execute()
      await db.schema.dropTable('mfa_challenges').execute()
      await db.schema.dropTable('mfa_recovery_codes').execute()
      await db.schema.dropTable('mfa_totp').execute()
    }
  }
})

export const migrationProvider = (dialect: Dialect): MigrationProvider => ({
  getMigrations: async () => migrations(dialect)
})
