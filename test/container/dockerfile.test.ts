import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Copy, DockerfileParser, type Instruction } from 'dockerfile-ast'
import t from 'tap'

// The fast static half of the container checks: parses the Dockerfile and
// checks what the README promises about it. image.test.ts builds and runs it
// (in CI, with GATEHOUSE_CONTAINER_TEST=1).
const root = join(import.meta.dirname, '..', '..')
const dockerfile = DockerfileParser.parse(readFileSync(join(root, 'Dockerfile'), 'utf8'))
const instructions = dockerfile.getInstructions()
const froms = dockerfile.getFROMs()
const finalStageStart = froms[froms.length - 1]?.getRange().start.line ?? 0
const finalStage = instructions.filter(i => i.getRange().start.line >= finalStageStart)
const keyword = (i: Instruction) => i.getKeyword()
const text = (i: Instruction) => i.getArgumentsContent() ?? ''

t.test('parses without syntax problems', async t => {
  t.ok(instructions.length > 0)
  for (const instruction of instructions) t.not(keyword(instruction), '', `instruction on line ${instruction.getRange().start.line + 1}`)
})

t.test('is multi-stage: a build stage and a runtime stage on one base, an ARG defaulting to Node 24 LTS', async t => {
  const args = instructions.filter(i => keyword(i) === 'ARG' && i.getRange().start.line < (froms[0]?.getRange().start.line ?? 0)).map(text)
  t.same(args, ['NODE_IMAGE=node:24-bookworm-slim'], 'the base is a build argument declared before the first FROM')
  t.equal(froms.length, 2)
  const base = '$' + '{NODE_IMAGE}'
  t.equal(text(froms[0] as Instruction), `${base} AS build`)
  t.equal(text(froms[1] as Instruction), `${base} AS runtime`)
})

t.test("the build stage compiles native modules against the headers of the image's Node", async t => {
  const env = instructions.filter(i => keyword(i) === 'ENV' && i.getRange().start.line < finalStageStart).map(text).join(' ')
  t.match(env, /npm_config_nodedir=\/usr\/local\b/, 'node-gyp uses /usr/local/include/node, downloads no headers')
})

t.test('ships no source maps, metafile, legal-comment file or native build leftovers', async t => {
  const runs = instructions.filter(i => keyword(i) === 'RUN' && i.getRange().start.line < finalStageStart).map(text).join('\n')
  t.match(runs, /find dist node_modules -name '\*\.map' -type f -delete/)
  t.match(runs, /rm -f dist\/gatehouse\.meta\.json dist\/gatehouse\.mjs\.LEGAL\.txt/)
  t.match(runs, /rm -rf build deps src/)
})

t.test('the build stage installs from the lockfile, compiles, and drops dev dependencies', async t => {
  const runs = instructions.filter(i => keyword(i) === 'RUN' && i.getRange().start.line < finalStageStart).map(text).join('\n')
  t.match(runs, /npm ci\b/)
  t.match(runs, /npm run build/)
  t.match(runs, /npm prune --omit=dev/)
})

t.test('the runtime stage copies only build outputs and production dependencies', async t => {
  const copies = finalStage.filter((i): i is Copy => i instanceof Copy)
  t.ok(copies.length > 0)
  for (const copy of copies) t.equal(copy.getFromFlag()?.getValue(), 'build', text(copy))
  t.notOk(finalStage.some(i => keyword(i) === 'RUN' && /npm (ci|install)/.test(text(i))), 'no npm install in the runtime stage')
})

t.test('runs as a non-root user with data in a volume', async t => {
  const user = finalStage.filter(i => keyword(i) === 'USER').map(text)
  t.equal(user.length, 1)
  t.not(user[0], 'root')
  t.not(user[0], '0')
  t.match(finalStage.filter(i => keyword(i) === 'VOLUME').map(text).join(' '), /\/data/)
  t.match(finalStage.filter(i => keyword(i) === 'ENV').map(text).join(' '), /DATA_DIR=\/data/)
  t.match(finalStage.filter(i => keyword(i) === 'ENV').map(text).join(' '), /HOST=0\.0\.0\.0/)
})

t.test('puts the gatehouse command (package.json bin) on PATH', async t => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin: Record<string, string> }
  t.equal(pkg.bin.gatehouse, 'bin/gatehouse.mjs')
  const buildRuns = instructions.filter(i => keyword(i) === 'RUN' && i.getRange().start.line < finalStageStart).map(text).join('\n')
  t.match(buildRuns, /cp -a package\.json node_modules dist bin \/out\//, 'bin/ goes to the runtime tree')
  t.same(finalStage.filter((i): i is Copy => i instanceof Copy).map(text), ['/out ./'], 'which is copied to /app whole')
  const runs = finalStage.filter(i => keyword(i) === 'RUN').map(text).join('\n')
  t.match(runs, /ln -s \/app\/bin\/gatehouse\.mjs \/usr\/local\/bin\/gatehouse/)
})

t.test('exposes the port, checks readiness and starts the compiled server', async t => {
  t.match(finalStage.filter(i => keyword(i) === 'EXPOSE').map(text).join(' '), /\b8000\b/)
  const healthcheck = finalStage.find(i => keyword(i) === 'HEALTHCHECK')
  t.ok(healthcheck)
  t.match(text(healthcheck as Instruction), /\/health\/ready/)
  const cmd = finalStage.find(i => keyword(i) === 'CMD')
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { config: { nodeFlags: string }, scripts: { start: string } }
  const flags = pkg.config.nodeFlags.split(' ').filter(Boolean)
  t.ok(flags.length > 0)
  t.same(JSON.parse(text(cmd as Instruction)), ['node', ...flags, 'dist/gatehouse.mjs'], 'the bundle that npm run build writes, with the node flags npm start uses')
  t.match(pkg.scripts.start, /exec node \$npm_package_config_nodeFlags dist\/gatehouse\.mjs$/)
})

t.test('every COPY source of the build stage exists in the repository', async t => {
  const copies = instructions.filter(i => keyword(i) === 'COPY' && i.getRange().start.line < finalStageStart)
  for (const copy of copies) {
    const args = copy.getArguments().map(a => a.getValue())
    for (const source of args.slice(0, -1)) t.ok(existsSync(join(root, source)), `${source} exists`)
  }
})

t.test('.dockerignore keeps local state and secrets out of the build context', async t => {
  const ignored = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n').map(l => l.trim())
  for (const entry of ['node_modules', 'data', 'dist', '.env', '.git']) t.ok(ignored.includes(entry), entry)
})
