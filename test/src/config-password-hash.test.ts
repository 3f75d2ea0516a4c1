import t from 'tap'
import { configProblem } from './config-problem.js'
import { loadConfig } from '../../src/config.js'

const GIB = 1024 ** 3
const withMemory = (bytes: number) => ({ memoryLimitBytes: () => bytes })

const problem = (env: Record<string, string>, memory = 16 * GIB): string => configProblem(env, withMemory(memory))

t.test('bcrypt stays the default; argon2 defaults are pwdlib\'s', async t => {
  const { passwords } = loadConfig({}, withMemory(16 * GIB))
  t.equal(passwords.scheme, 'bcrypt')
  t.same(passwords.argon2, { memoryKib: 65536, iterations: 3, parallelism: 4 })
})

t.test('PASSWORD_HASH and the ARGON2_* values are read and bounded', async t => {
  const { passwords } = loadConfig({ PASSWORD_HASH: 'argon2id', ARGON2_MEMORY_KIB: '19456', ARGON2_ITERATIONS: '2', ARGON2_PARALLELISM: '1' }, withMemory(16 * GIB))
  t.equal(passwords.scheme, 'argon2id')
  t.same(passwords.argon2, { memoryKib: 19456, iterations: 2, parallelism: 1 })
  for (const [name, value] of <Array<[string, string]>>[['PASSWORD_HASH', 'argon2i'], ['PASSWORD_HASH', 'scrypt'], ['ARGON2_MEMORY_KIB', '4096'], ['ARGON2_MEMORY_KIB', '2097152'],
    ['ARGON2_ITERATIONS', '0'], ['ARGON2_ITERATIONS', '17'], ['ARGON2_PARALLELISM', '0'], ['ARGON2_PARALLELISM', '17'], ['ARGON2_MEMORY_KIB', 'lots']]) {
    t.match(problem({ [name]: value }), new RegExp(`${name}: .*got "${value}"`), `${name}=${value} refused`)
  }
})

t.test('argon2 memory of all hashing slots must fit in half of the memory limit', async t => {
  // 4 slots × 64 MiB = 256 MiB: fits in 512 MiB, not in 511 MiB.
  const env = { HASH_CONCURRENCY: '4', ARGON2_MEMORY_KIB: '65536' }
  t.equal(loadConfig(env, withMemory(512 * 1024 * 1024)).passwords.hashConcurrency, 4)
  const message = problem(env, 511 * 1024 * 1024)
  t.match(message, /HASH_CONCURRENCY, ARGON2_MEMORY_KIB: 4 concurrent hashes × 65536 KiB = 256 MiB/)
  t.match(message, /511 MiB memory limit/)
  t.match(problem({ PASSWORD_HASH: 'bcrypt', ...env }, 300 * 1024 * 1024), /ARGON2_MEMORY_KIB/, 'checked with bcrypt configured too')
})

t.test('the real memory limit is read when none is passed', async t => {
  t.equal(loadConfig({ HASH_CONCURRENCY: '1' }).passwords.argon2.memoryKib, 65536)
})
