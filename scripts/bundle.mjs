// Part of `npm run build`, after tsc: bundles dist/server.js and everything it
// imports into one file, dist/gatehouse.mjs, which is what `npm start` and the
// container run. Loading ~900 small ES and CommonJS modules from node_modules
// was about a third of start-up (docs/benchmark.md, item 6); one file parses
// faster than it resolves. Left outside the bundle, loaded from node_modules as
// before: native addons, modules loaded only when a feature is on (pg, ioredis,
// prom-client, nodemailer, the common-password list: an eighth of the bundle's
// size was nodemailer, parsed at every start), and the two swagger plugins, which
// read their own files (static assets, package.json) relative to themselves.
import { build } from 'esbuild'
import { writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

export const BUNDLE = join(root, 'dist', 'gatehouse.mjs')
/** esbuild's account of the bundle (inputs, imports left outside it), for test/container/bundle.test.ts. */
export const METAFILE = join(root, 'dist', 'gatehouse.meta.json')

export const EXTERNAL = [
  'better-sqlite3', 'better-sqlite3-node20', '@node-rs/bcrypt', '@node-rs/argon2',
  'pg', 'ioredis', 'prom-client', 'nodemailer', '@zxcvbn-ts/language-common',
  '@fastify/swagger', '@fastify/swagger-ui'
]

// CommonJS modules inside an ES bundle still call require() for Node's own
// modules and read __dirname; give them both, relative to the bundle.
const banner = [
  "import { createRequire as __gatehouseCreateRequire } from 'node:module'",
  "import { fileURLToPath as __gatehouseFileURLToPath } from 'node:url'",
  "import { dirname as __gatehouseDirname } from 'node:path'",
  'const require = __gatehouseCreateRequire(import.meta.url)',
  'const __filename = __gatehouseFileURLToPath(import.meta.url)',
  'const __dirname = __gatehouseDirname(__filename)'
].join('\n')

export async function bundle () {
  const result = await build({
    entryPoints: [join(root, 'dist', 'server.js')],
    outfile: BUNDLE,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: EXTERNAL,
    banner: { js: banner },
    sourcemap: 'linked',
    legalComments: 'linked',
    metafile: true,
    logLevel: 'warning'
  })
  writeFileSync(METAFILE, JSON.stringify(result.metafile))
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await bundle()
