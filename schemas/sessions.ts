import { Type, type Static } from '@sinclair/typebox'

export const SessionSchema = Type.Object({
  id: Type.String(),
  created_at: Type.String({ format: 'date-time' }),
  last_used_at: Type.String({ format: 'date-time', description: 'The last login or refresh' }),
  expires_at: Type.String({ format: 'date-time', description: 'When it ends unless refreshed (idle timeout) or at the latest (absolute lifetime)' }),
  user_agent: Type.Union([Type.String(), Type.Null()]),
  ip: Type.Union([Type.String(), Type.Null()]),
  current: Type.Boolean({ description: 'True for the session of the token making this request' })
}, { additionalProperties: false })
export type SessionView = Static<typeof SessionSchema>

export const SessionListSchema = Type.Array(SessionSchema, { description: 'Active sessions, newest first' })

export const SessionParamsSchema = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false })
