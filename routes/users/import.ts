import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { errorResponses } from '../../schemas/error.js'
import {
  IMPORT_BODY_LIMIT, IMPORT_MAX_RECORDS, ImportBodySchema, ImportQuerySchema, ImportRefusedSchema, ImportReportSchema
} from '../../schemas/import.js'
import { ADMIN_SCOPE } from '../../src/users/scopes.js'
import { importUsers } from '../../src/users/user-import.js'

const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.post('/users/import', {
    preHandler: [app.authenticate, app.requireScopes(ADMIN_SCOPE), app.requireAdminSecondFactor, app.requireRecentLogin],
    bodyLimit: IMPORT_BODY_LIMIT,
    schema: {
      operationId: 'importUsers',
      tags: ['admin'],
      summary: 'Import users with their password hashes (bcrypt, Argon2), all or nothing',
      description: `Records shaped like the FastAPI tutorial's users, hashes kept as they are and re-hashed to the configured scheme at each user's first login. Every record is checked first; any bad one and nothing is written (400 with the report). At most ${IMPORT_MAX_RECORDS} records a request: use \`gatehouse user import\` for larger files. Needs scope ${ADMIN_SCOPE} and a recent login.`,
      security: [{ OAuth2PasswordBearer: [ADMIN_SCOPE] }],
      querystring: ImportQuerySchema,
      body: ImportBodySchema,
      response: { 200: ImportReportSchema, ...errorResponses(401, 403, 409, 413), 400: ImportRefusedSchema }
    }
  }, async (request, reply) => {
    const records = request.body.map((value, i) => ({ line: i + 1, value }))
    const report = await importUsers(app.store, records, {
      onConflict: request.query.on_conflict ?? 'fail',
      dryRun: request.query.dry_run ?? false,
      argon2MaxMemoryKib: app.config.passwords.argon2MaxMemoryKib,
      onHashStored: hash => { app.passwordHasher.noteStoredHash(hash) }
    })
    if (report.errors.length > 0) {
      return await reply.code(400).send({ error: 'invalid_request' as const, error_description: `${report.errors.length} bad record(s): nothing was imported`, report })
    }
    if (!report.dry_run) {
      request.audit({ event: 'users.imported', created: report.created, updated: report.updated, skipped: report.skipped, revoked_sessions: report.revoked_sessions })
    }
    return report
  })
}

export default routes
