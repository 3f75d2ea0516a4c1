import t from 'tap'
import { tempDir } from '../helper.js'
import { baseEnv, freePort, requireBuild, ROOT, spawnChild } from '../child-process.js'

requireBuild()

// The README's first command. `npm start` must run the bundle with the
// production node flags, and a signal sent to npm must reach the service
// (the start script execs node), so that it shuts down gracefully.

t.test('npm start serves, and stops on SIGTERM with exit 0', async t => {
  const port = await freePort()
  const env = baseEnv({ PORT: String(port), DATA_DIR: tempDir(t), LOG_LEVEL: 'info', BCRYPT_COST: '10' })
  const { child: npm, output, stop } = spawnChild(t, 'npm', ['start', '--silent'], { cwd: ROOT, env })

  const deadline = Date.now() + 60_000
  let ready = false
  while (!ready && Date.now() < deadline && npm.exitCode === null) {
    ready = await fetch(`http://127.0.0.1:${port}/health/ready`).then(r => r.status === 200, () => false)
    if (!ready) await new Promise(resolve => setTimeout(resolve, 200))
  }
  t.ok(ready, `ready on ${port}:\n${output()}`)

  t.equal(await stop('SIGTERM'), 0, 'npm start exits 0')
  t.match(output(), /"msg":"shutting down"/, 'the service itself received the signal and shut down gracefully')
  const stillThere = await fetch(`http://127.0.0.1:${port}/health/live`).then(() => true, () => false)
  t.notOk(stillThere, 'nothing is left listening')
})
