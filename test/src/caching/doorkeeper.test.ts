import t from 'tap'
import { createDoorkeeper } from '../../../src/caching/doorkeeper.js'

t.test('a key is seen before only from its second sighting on', async t => {
  const doorkeeper = createDoorkeeper(100)
  t.equal(doorkeeper.seenBefore('a'), false)
  t.equal(doorkeeper.seenBefore('a'), true)
  t.equal(doorkeeper.seenBefore('a'), true)
  t.equal(doorkeeper.seenBefore('b'), false)
})

t.test('the window ends after capacity recorded keys: older sightings no longer count', async t => {
  const doorkeeper = createDoorkeeper(100)
  doorkeeper.seenBefore('old')
  for (let i = 0; i < 120; i++) doorkeeper.seenBefore(`scan-${i}`)
  t.equal(doorkeeper.seenBefore('old'), false, 'forgotten once the window was full')
  t.equal(doorkeeper.seenBefore('old'), true)
})

t.test('clear forgets every sighting', async t => {
  const doorkeeper = createDoorkeeper(10)
  doorkeeper.seenBefore('a')
  doorkeeper.clear()
  t.equal(doorkeeper.seenBefore('a'), false)
})

t.test('distinct long keys (tokens differing in their last characters) are rarely taken for seen', async t => {
  const capacity = 5000
  const doorkeeper = createDoorkeeper(capacity)
  const prefix = 'eyJhbGciOiJIUzI1NiIsImtpZCI6ImsxIiwidHlwIjoiYXQrand0In0.'.repeat(4)
  let falsePositives = 0
  for (let i = 0; i < capacity; i++) if (doorkeeper.seenBefore(`${prefix}${i.toString(36)}`)) falsePositives++
  t.ok(falsePositives < capacity * 0.02, `${falsePositives} false positives in ${capacity} distinct keys`)
})

t.test('only the last 64 characters of a key are hashed: keys differing only before them are one key', async t => {
  const doorkeeper = createDoorkeeper(100)
  const tail = 'x'.repeat(64)
  t.equal(doorkeeper.seenBefore(`first.${tail}`), false)
  t.equal(doorkeeper.seenBefore(`second.${tail}`), true, 'a false positive, which only admits a key early')
  t.equal(doorkeeper.seenBefore(`first.${'y'.repeat(64)}`), false, 'a different tail is a different key')
})
