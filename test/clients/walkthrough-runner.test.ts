import t from 'tap'
import { extractWalkthrough, rebase, runWalkthrough } from './walkthrough.js'

/**
 * The walk-through machinery on a throw-away README: blocks are found in the
 * section only, variables carry over, URLs are rebased, and a failing command
 * fails the run.
 */
const sample = (failing: string) => `# sample

\`\`\`sh
echo "outside the section: never run"; exit 3
\`\`\`

## Walk-through with curl

Some prose.

\`\`\`sh
# a comment
HEALTH=$(curl -fsS http://localhost:8000/health/live)
\`\`\`

\`\`\`sh
echo "health: $HEALTH"
curl -fsS -X POST http://127.0.0.1:8000/token -d username=nobody -d password=x -o /dev/null -w '%{http_code}\\n' || echo refused
${failing}
\`\`\`

\`\`\`js
console.log('not a shell block')
\`\`\`

## Next section

\`\`\`sh
exit 4
\`\`\`
`

t.test('extraction keeps only the sh blocks of the section, in order', async t => {
  const blocks = extractWalkthrough(sample(''))
  t.equal(blocks.length, 2)
  t.match(blocks[0], /HEALTH=/)
  t.equal(extractWalkthrough('# no walk-through here\n').length, 0)
  t.equal(rebase('curl http://localhost:8000/x http://127.0.0.1:8000/y http://localhost:8001/z', 'http://127.0.0.1:5'), 'curl http://127.0.0.1:5/x http://127.0.0.1:5/y http://localhost:8001/z')
})

t.test('a passing walk-through: variables carry across blocks, URLs reach the instance', async t => {
  const run = await runWalkthrough(t, extractWalkthrough(sample('')))
  t.equal(run.code, 0, 'exit 0', { stderr: run.stderr })
  t.equal(run.blocksRun, 2)
  t.match(run.stdout, /health: \{"status":"ok"\}/)
  t.match(run.stdout, /refused/, 'curl -f failed on the 401 and the block handled it')
})

t.test('a failing command fails the run and stops it', async t => {
  const run = await runWalkthrough(t, [...extractWalkthrough(sample('curl -fsS http://localhost:8000/users/me')), 'echo after'])
  t.not(run.code, 0)
  t.equal(run.blocksRun, 2, 'the block after the failure did not run')
  t.notMatch(run.stdout, /after/)
})
