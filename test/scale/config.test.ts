import t from 'tap'
import { ConfigError, loadConfig } from '../../src/config.js'

t.test('REDIS_KEY_PREFIX and REDIS_FAIL_MODE', async t => {
  const defaults = loadConfig({})
  t.equal(defaults.redisKeyPrefix, 'gatehouse:')
  t.equal(defaults.redisFailMode, 'closed', 'limits fail closed unless told otherwise')
  t.equal(loadConfig({ REDIS_KEY_PREFIX: 'tenant-a:', REDIS_FAIL_MODE: 'open' }).redisKeyPrefix, 'tenant-a:')
  t.throws(() => loadConfig({ REDIS_KEY_PREFIX: 'has space:' }), ConfigError)
  t.throws(() => loadConfig({ REDIS_FAIL_MODE: 'sometimes' }), /REDIS_FAIL_MODE/)
})
