import { Ajv, type Options } from 'ajv'
import addFormatsModule from 'ajv-formats'
import type { FastifySchemaCompiler } from 'fastify'

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

/**
 * Query strings, path parameters and headers arrive as strings, so their
 * schemas are coerced (`?limit=10` is the integer 10). JSON bodies are not:
 * `{"disabled": "true"}` or a number for a password is a 400, not silently
 * converted.
 */
export function createValidatorCompiler (): FastifySchemaCompiler<unknown> {
  const coercing = createAjv(true)
  const strict = createAjv(false)
  return ({ schema, httpPart }) => (httpPart === 'body' ? strict : coercing).compile(schema as object)
}
