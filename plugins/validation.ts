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
 * Compiles on the first call, not at start-up: Ajv's code generation for every
 * route's schemas was a sixth of start-up, most of it for routes a given
 * instance may rarely see. The first request a schema checks pays it once
 * (1 to 3 ms).
 */
function compiledOnFirstUse (compile: () => ValidateFunction): ValidateFunction {
  let validate: ValidateFunction | undefined
  const lazy = ((data: unknown) => {
    validate ??= compile()
    const valid = validate(data)
    lazy.errors = validate.errors
    return valid
  }) as ValidateFunction
  return lazy
}

/**
 * Query strings, path parameters and headers arrive as strings, so their
 * schemas are coerced (`?limit=10` is the integer 10). JSON bodies are not:
 * `{"disabled": "true"}` or a number for a password is a 400, not silently
 * converted.
 *
 * Routes repeat the same small schemas (a client_id or username parameter, a
 * page query), so there is one validator per distinct schema and Ajv
 * instance. Fastify reads `errors` right after each call, so sharing one is safe.
 */
function createValidatorCompiler (): FastifySchemaCompiler<unknown> {
  const coercing = createAjv(true)
  const strict = createAjv(false)
  const validators = new Map<string, ValidateFunction>()
  return ({ schema, httpPart }) => {
    const ajv = httpPart === 'body' ? strict : coercing
    const key = `${ajv === strict ? 'strict' : 'coercing'} ${JSON.stringify(schema)}`
    let validate = validators.get(key)
    if (validate === undefined) {
      validate = refusingNul(compiledOnFirstUse(() => ajv.compile(schema as object)))
      validators.set(key, validate)
    }
    return validate
  }
}

/** Sets the validator compiler for every route registered after it (fp: on the instance that registers it). */
export default fp(async (app) => {
  app.setValidatorCompiler(createValidatorCompiler())
}, { name: 'validation', fastify: '5.x' })
