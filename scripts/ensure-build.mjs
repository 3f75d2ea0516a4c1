import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const SOURCES = ['src', 'schemas', 'plugins', 'routes', 'app.ts', 'logger.ts', 'server.ts', 'shared-serializers.ts', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json', 'scripts/bundle.mjs']

function newestMtime (path) {
  if (!existsSync(path)) return 0
  const stat = statSync(path)
  if (!stat.isDirectory()) return stat.mtimeMs
  return Math.max(0, ...readdirSync(path).map(name => newestMtime(join(path, name))))
}

export function ensureBuild () {
  const marker = join(root, 'dist', 'gatehouse.mjs')
  const built = existsSync(marker) ? statSync(marker).mtimeMs : 0
  const newest = Math.max(...SOURCES.map(s => newestMtime(join(root, s))))
  if (built >= newest) return
  process.stderr.write('gatehouse: compiling TypeScript and bundling (npm run build)…\n')
  execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' })
  execFileSync(process.execPath, [join(root, 'scripts', 'bundle.mjs')], { stdio: 'inherit' })
}

if (process.argv[1] === fileURLToPath(import.meta.url)) ensureBuild()
