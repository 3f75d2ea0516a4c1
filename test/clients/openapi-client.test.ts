import { readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import SwaggerParser from '@apidevtools/swagger-parser'
import { Ajv } from 'ajv'
import addFormatsModule from 'ajv-formats'
import openapiTS, { astToString } from 'openapi-typescript'
import t from 'tap'
import { addClient, addUser, build, PASSWORD, tempDir } from '../helper.js'
import { ROOT, spawnChild } from '../child-process.js'
import { needOathtool } from '../services.js'
import { listen } from './listen.js'

/**
 * Item 1 of issue 7: the live OpenAPI document validates; types generated
 * from it (by operation name since issue 14: `operations['login']`…)
 * compile with a strict client program (openapi-fetch) that logs in,
 * refreshes, reads /users/me, changes a password and runs the admin routes
 * (users and registered clients) against the listening service; every real response matches the schema the
 * document gives for its status. Since issue 16 it also plays a service:
 * a client-credentials token, then /introspect with it on the admin's token
 * before and after that admin logs out. Since issue 18 a user enrols in
 * TOTP and logs in with the mfa-otp grant (codes by oathtool).
 */
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default

interface Exchange { method: string, path: string, status: number, contentType: string | null, body: unknown }
interface Operation { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }
type Document = { paths: Record<string, Record<string, Operation>> }

t.test('a client generated from /docs/json works against the live service, and every response matches its schema', async t => {
  // Its two-factor login computes the codes with oathtool.
  if (!await needOathtool(t)) return
  const app = await build(t)
  await addUser(app, 'root', { scopes: ['users:admin', 'clients:admin'] })
  await addUser(app, 'alice')
  await addUser(app, 'bob')
  const serviceSecret = await addClient(app, 'svc-reporting') ?? ''
  const baseUrl = await listen(app)

  const document = await (await fetch(`${baseUrl}/docs/json`)).json() as Document
  await t.resolves(SwaggerParser.validate(structuredClone(document) as never), 'swagger-parser validates the document')

  const dir = tempDir(t, 'gatehouse-typed-client-')
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'))
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }))
  writeFileSync(join(dir, 'schema.ts'), astToString(await openapiTS(document as never)))
  writeFileSync(join(dir, 'client.ts'), readFileSync(join(ROOT, 'test', 'clients', 'fixtures', 'typed-client.ts.txt')))
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      strict: true,
      noUncheckedIndexedAccess: true,
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      lib: ['ES2022', 'DOM'],
      types: ['node'],
      skipLibCheck: true,
      outDir: 'out'
    },
    files: ['client.ts', 'schema.ts']
  }))
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
  const compiling = spawnChild(t, process.execPath, [tsc, '-p', dir])
  const compiled = await compiling.exited === 0 ? '' : compiling.output()
  t.equal(compiled, '', 'the client compiles with tsc --strict against the generated types')
  if (compiled !== '') return

  const client = spawnChild(t, process.execPath, [join(dir, 'out', 'client.js'), baseUrl, 'root', 'alice', PASSWORD, 'Another-Quiet-Harbor-77', 'svc-reporting', serviceSecret])
  if (await client.exited !== 0) t.fail(`the client failed: ${client.stderr()}`)
  const stdout = client.stdout()
  const exchanges = stdout.trim().split('\n').filter(line => line !== '').map(line => JSON.parse(line) as Exchange)
  t.ok(exchanges.length >= 20, `the client made ${exchanges.length} requests`)

  const ajv = new Ajv({ strict: false, allErrors: true })
  addFormats(ajv)
  ajv.addFormat('password', true)
  ajv.addSchema(document as object, 'openapi')
  const pointer = (...parts: string[]) => parts.map(p => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')

  for (const exchange of exchanges) {
    const label = `${exchange.method.toUpperCase()} ${exchange.path} → ${exchange.status}`
    const response = document.paths[exchange.path]?.[exchange.method]?.responses[String(exchange.status)]
    if (response === undefined) { t.fail(`${label} is not documented`); continue }
    const content = response.content?.['application/json']
    if (content === undefined) {
      t.equal(exchange.body, null, `${label}: no body, as documented`)
      continue
    }
    t.match(exchange.contentType, /^application\/json/, `${label}: JSON`)
    const validate = ajv.compile({ $ref: `openapi#/${pointer('paths', exchange.path, exchange.method, 'responses', String(exchange.status), 'content', 'application/json', 'schema')}` })
    t.ok(validate(exchange.body), `${label} matches its documented schema`, { errors: validate.errors, body: exchange.body })
  }
  const statuses = new Set(exchanges.map(e => e.status))
  for (const status of [200, 201, 204, 400, 401, 404]) t.ok(statuses.has(status), `some response was ${status}`)
})
