import { Ajv, type ErrorObject, type Options, type ValidateFunction } from 'ajv'
import addFormatsModule from 'ajv-formats'
import type { FastifySchemaCompiler } from 'fastify'
import fp from 'fastify-plugin'

// ajv-formats is CommonJS: its module.exports is the plugin function itself.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default

const OPTIONS: Options = {
  removeAdditional: false, // unknown properties are refused (additionalProperties: false), not dropped
  useDefaults: true,
  allErrors: false, // stop at the first error: no work amplification from hostile input
  addUsedSchema: false,
  // Checking each route schema against the JSON Schema meta-schema compiles that
  // meta-schema first, per Ajv instance: about a tenth of start-up. Our schemas
  // are static TypeBox output, and the OpenAPI document built from all of them
  // is validated by swagger-parser in test/clients/openapi-client.test.ts.
  validateSchema: false
}

function createAjv (coerceTypes: boolean): Ajv {
  const ajv = new Ajv({ ...OPTIONS, coerceTypes })
  addFormats(ajv)
  // Annotation only, so OpenAPI clients mask the field; any string is accepted.
  ajv.addFormat('password', { type: 'string', validate: () => true })
  return ajv
}

/** The JSON pointer of the first string (value or key) holding a NUL character; iterative, so deep nesting cannot overflow the stack. */
function nulPath (data: unknown): string | undefined {
  const pending: Array<[unknown, string]> = [[data, '']]
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [value, path] = next
    if (typeof value === 'string') {
      if (value.includes('\0')) return path
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, child] of Object.entries(value)) {
        if (key.includes('\0')) return path
        pending.push([child, `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`])
      }
    }
  }
  return undefined
}

/**
 * PostgreSQL cannot store or compare a NUL character in text, and no field of
 * ours has a use for one: any string holding one (a path parameter, a query
 * value, a JSON or form field, even a password) is refused as 400
 * invalid_request by validation, before any handler or query runs.
 */
function refusingNul (validate: ValidateFunction): ValidateFunction {
  const wrapped = ((data: unknown) => {
    const path = nulPath(data)
    if (path !== undefined) {
      const error: ErrorObject = { keyword: 'nul', instancePath: path, schemaPath: '#', params: {}, message: 'must not contain a NUL character' }
      wrapped.errors = [error]
      return false
    }
    const valid = validate(data)
    wrapped.errors = validate.errors
    return valid
  }) as ValidateFunction
  return wrapped
}

/**
 * Query strings, path parameters and headers arrive as strings, so their
 * schemas are coerced (`?limit=10` is the integer 10). JSON bodies are not:
 * `{"disabled": "true"}` or a number for a password is a 400, not silently
 * converted.
 */
function createValidatorCompiler (): FastifySchemaCompiler<unknown> {
  const coercing = createAjv(true)
  const strict = createAjv(false)
  return ({ schema, httpPart }) => refusingNul((httpPart === 'body' ? strict : coercing).compile(schema as object))
}

/** Sets the validator compiler for every route registered after it (fp: on the instance that registers it). */
export default fp(async (app) => {
  app.setValidatorCompiler(createValidatorCompiler())
}, { name: 'validation', fastify: '5.x' })
