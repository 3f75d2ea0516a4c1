import { Ajv } from 'ajv'
import addFormatsModule from 'ajv-formats'
import { EmailSchema } from '../../schemas/users.js'

// ajv-formats is CommonJS: its module.exports is the plugin function itself.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default

let check: ((value: unknown) => boolean) | undefined

/**
 * Whether `email` passes the API's own check: the same schema (EmailSchema),
 * compiled by Ajv with the same formats as the routes' validator
 * (plugins/validation.ts). Compiled on first use only.
 */
export function isValidEmail (email: string): boolean {
  if (check === undefined) {
    const ajv = new Ajv({ validateSchema: false })
    addFormats(ajv)
    check = ajv.compile(EmailSchema)
  }
  return check(email)
}

export const EMAIL_RULE = `an address such as name@example.com, at most ${EmailSchema.maxLength ?? 320} characters`
