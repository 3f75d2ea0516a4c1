import t from 'tap'
import { createLogThrottle } from '../../plugins/log-throttle.js'

t.test('one line per key per interval, with the count left out since the previous one', async t => {
  const throttle = createLogThrottle(10_000)
  t.equal(throttle.take('a', 0), 0, 'the first is logged')
  t.equal(throttle.take('a', 1), undefined)
  t.equal(throttle.take('a', 9_999), undefined)
  t.equal(throttle.take('b', 5), 0, 'another key has its own interval')
  t.equal(throttle.take('a', 10_000), 2, 'the next one after the interval says how many were left out')
  t.equal(throttle.take('a', 10_001), undefined)
  t.equal(throttle.take('a', 30_000), 1)
})
