import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { EmailVerificationConfirmSchema } from '../schemas/email-verification.js'
import { errorResponses, NoContent } from '../schemas/error.js'

const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.post('/email-verification/confirm', {
    schema: {
      operationId: 'confirmEmailVerification',
      tags: ['account'],
      summary: 'Confirm an email address with the token from the verification mail',
      description: 'No authentication: the token is the proof. 400 invalid_grant when the token is unknown, used, expired, ' +
        'replaced by a newer mail, or the address changed since it was mailed. Tokens already issued keep their email_verified claim until refreshed.',
      security: [],
      body: EmailVerificationConfirmSchema,
      response: { 204: NoContent, ...errorResponses(400) }
    }
  }, async (request, reply) => {
    const user = await app.emailVerification.confirm(request.body.token)
    request.audit({ event: 'user.email_verified', username: user.username })
    return reply.code(204).send(null)
  })
}

export default routes
