import { Type, type SchemaOptions, type TUnsafe } from '@sinclair/typebox'

/**
 * A string limited to `values`, written as a plain JSON Schema `enum` (TypeBox's
 * unions of literals become `anyOf` lists, which OpenAPI tools and generated
 * clients show less well than an enum).
 */
export function StringEnum<const T extends readonly string[]> (values: T, options: SchemaOptions = {}): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ ...options, type: 'string', enum: [...values] })
}
