import { Type, type Static } from '@sinclair/typebox'
import { StringEnum } from './string-enum.js'

/** At most this many records a request: the CLI (`gatehouse user import`) is for large files. */
export const IMPORT_MAX_RECORDS = 1000
/** The route's body limit: 1,000 records of a few hundred bytes each. */
export const IMPORT_BODY_LIMIT = 1024 * 1024

const NullableString = (maxLength: number) => Type.Union([Type.String({ maxLength }), Type.Null()])

/** A user as the FastAPI tutorial keeps it (its `UserInDB`); other properties are ignored. The rules are checked per record, into the report. */
export const ImportRecordSchema = Type.Object({
  username: Type.String({ maxLength: 256, description: '3 to 64 letters, digits and . _ - @ + (stored lower-cased)' }),
  hashed_password: Type.String({ maxLength: 1024, description: 'bcrypt ($2a$, $2b$, $2y$, cost 4-31), $argon2id$ or $argon2i$ (v=19), kept as it is' }),
  email: Type.Optional(NullableString(320)),
  full_name: Type.Optional(NullableString(1024)),
  disabled: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
  scopes: Type.Optional(Type.Union([Type.Array(Type.String({ maxLength: 256 }), { maxItems: 50 }), Type.Null()]))
}, { additionalProperties: true })

export const ImportBodySchema = Type.Array(ImportRecordSchema, { maxItems: IMPORT_MAX_RECORDS, description: `At most ${IMPORT_MAX_RECORDS} users (1 MiB)` })

export const ImportQuerySchema = Type.Object({
  on_conflict: Type.Optional(StringEnum(['fail', 'skip', 'update'] as const, { default: 'fail', description: 'A username already stored: fail the import, skip the record, or update the user (a changed hash revokes their sessions)' })),
  dry_run: Type.Optional(Type.Boolean({ default: false, description: 'Check and report, write nothing' }))
}, { additionalProperties: false })

export const ImportReportSchema = Type.Object({
  created: Type.Integer(),
  updated: Type.Integer(),
  skipped: Type.Integer({ description: 'Stored already: the same, or kept by on_conflict=skip' }),
  revoked_sessions: Type.Integer(),
  dry_run: Type.Boolean(),
  errors: Type.Array(Type.Object({
    line: Type.Integer({ description: 'The record\'s position in the array, from 1' }),
    username: Type.Optional(Type.String()),
    error: Type.String()
  }, { additionalProperties: false }))
}, { additionalProperties: false, description: 'What the import did (or, with dry_run, would do)' })
export type ImportReportBody = Static<typeof ImportReportSchema>

export const ImportRefusedSchema = Type.Object({
  error: StringEnum(['invalid_request'] as const),
  error_description: Type.String(),
  report: Type.Optional({ ...ImportReportSchema, description: 'Present when the records were checked: each bad one, with its position' })
}, { additionalProperties: false, description: 'A record is bad (each named in report.errors) or the request is malformed: nothing was imported' })
