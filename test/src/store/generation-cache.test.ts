import t from 'tap'
import { createGenerationCache } from '../../../src/store/generation-cache.js'

t.test('an entry serves only the generation it was loaded in', async t => {
  let generation = 0
  let loads = 0
  const cache = createGenerationCache<string, { n: number }>(10, () => generation)
  const load = (key: string) => { loads++; return key === 'missing' ? undefined : { n: loads } }

  const first = cache.get('a', load)
  t.equal(cache.get('a', load), first, 'same generation: the cached value, no load')
  t.equal(loads, 1)

  generation++
  const second = cache.get('a', load)
  t.not(second, first, 'a new generation loads again')
  t.equal(loads, 2)
  t.equal(cache.get('a', load), second)

  t.equal(cache.get('missing', load), undefined)
  t.equal(cache.get('missing', load), undefined)
  t.equal(loads, 4, 'nothing found is never cached')
})

t.test('the cache is bounded: the least recently used entry goes first', async t => {
  let loads = 0
  const cache = createGenerationCache<string, { key: string }>(2, () => 0)
  const load = (key: string) => { loads++; return { key } }
  cache.get('a', load)
  cache.get('b', load)
  cache.get('a', load) // a is now the most recent
  cache.get('c', load) // evicts b
  t.equal(loads, 3)
  cache.get('a', load)
  t.equal(loads, 3, 'a stayed')
  cache.get('b', load)
  t.equal(loads, 4, 'b was evicted')
})
