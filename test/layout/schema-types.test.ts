import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import t from 'tap'
import ts from 'typescript'
import { ROOT, sources } from './sources.js'

// Wire shapes are written once, as TypeBox schemas in schemas/; code that needs
// their type derives it (Static<typeof UserSchema>) instead of restating it in
// an interface that can drift from what is validated, serialized and documented.

/** Property names of every exported TypeBox object schema, by export name. */
async function schemaShapes (): Promise<Map<string, string>> {
  const shapes = new Map<string, string>()
  for (const file of sources('schemas')) {
    const module = await import(pathToFileURL(join(ROOT, file)).href) as Record<string, unknown>
    for (const [name, value] of Object.entries(module)) {
      const properties = (value as { type?: unknown, properties?: Record<string, unknown> } | null)?.properties
      if ((value as { type?: unknown } | null)?.type !== 'object' || properties === undefined) continue
      const keys = Object.keys(properties)
      if (keys.length >= 3) shapes.set(keys.sort().join(','), `${file}: ${name}`)
    }
  }
  return shapes
}

/** Interfaces and object type aliases declared in a file, with their property names. */
function declaredShapes (file: string): Array<{ name: string, keys: string }> {
  const source = ts.createSourceFile(file, readFileSync(join(ROOT, file), 'utf8'), ts.ScriptTarget.Latest)
  const found: Array<{ name: string, keys: string }> = []
  const names = (members: ts.NodeArray<ts.TypeElement>) =>
    members.flatMap(m => m.name !== undefined && (ts.isIdentifier(m.name) || ts.isStringLiteral(m.name)) ? [m.name.text] : []).sort().join(',')
  for (const statement of source.statements) {
    if (ts.isInterfaceDeclaration(statement)) found.push({ name: statement.name.text, keys: names(statement.members) })
    if (ts.isTypeAliasDeclaration(statement) && ts.isTypeLiteralNode(statement.type)) {
      found.push({ name: statement.name.text, keys: names(statement.type.members) })
    }
  }
  return found
}

t.test('no type outside schemas/ restates a schema (derive it with Static<typeof Schema>)', async t => {
  const shapes = await schemaShapes()
  t.ok(shapes.size >= 3, 'the response schemas were found')
  const restated = ['src', 'plugins', 'routes', 'app.ts'].flatMap(folder => folder.endsWith('.ts') ? [folder] : sources(folder))
    .flatMap(file => declaredShapes(file).flatMap(({ name, keys }) => {
      const schema = shapes.get(keys)
      return schema === undefined ? [] : [`${file}: ${name} restates ${schema}`]
    }))
  t.same(restated, [])
})
