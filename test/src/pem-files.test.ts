import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { ConfigError } from '../../src/config.js'
import { MAX_PEM_FILE_BYTES } from '../../src/pem-files.js'
import { loadTlsMaterial } from '../../src/tls-files.js'
import { tempDir } from '../helper.js'

// TLS files go through the same guarded reader as key files: a device or a
// huge file is refused at start instead of hanging it, and a PEM pasted where
// a path belongs never reaches the error message (which goes to stderr).

function problemsOf (fn: () => unknown): string[] {
  try {
    fn()
  } catch (err) {
    if (err instanceof ConfigError) return err.problems
    throw err
  }
  return []
}

t.test('TLS files that are not regular, small files are refused without reading them', async t => {
  const dir = tempDir(t)
  const huge = join(dir, 'huge.pem')
  writeFileSync(huge, Buffer.alloc(MAX_PEM_FILE_BYTES + 1, 'A'))
  const problems = problemsOf(() => loadTlsMaterial({ certFile: huge, keyFile: '/dev/zero' }))
  t.match(problems.join('\n'), /TLS_CERT_FILE: .*huge\.pem" is \d+ bytes, too large/)
  t.match(problems.join('\n'), /TLS_KEY_FILE: "\/dev\/zero" is not a regular file/)
})

t.test('a PEM pasted into a *_FILE variable is not echoed', async t => {
  const pasted = '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n'
  const problems = problemsOf(() => loadTlsMaterial({ certFile: pasted, keyFile: pasted }))
  t.equal(problems.length, 2)
  for (const problem of problems) {
    t.match(problem, /value hidden/)
    t.notMatch(problem, /BEGIN|MIGH/)
  }
})
