import t from 'tap'
import { hasDuplicateKeys } from '../../src/tokens/duplicate-keys.js'

t.test('finds repeated member names at any depth, after unescaping', async t => {
  t.equal(hasDuplicateKeys('{"a":1,"a":2}'), true)
  t.equal(hasDuplicateKeys('{"a":1,"\\u0061":2}'), true)
  t.equal(hasDuplicateKeys('{"x":{"b":1,"b":1}}'), true)
  t.equal(hasDuplicateKeys('{"x":[{"c":1},{"c":2,"c":3}]}'), true)
})

t.test('accepts distinct names, repeated names in sibling objects, and names that only look alike', async t => {
  t.equal(hasDuplicateKeys('{"a":1,"b":{"a":2},"c":[{"a":3},{"a":4}]}'), false)
  t.equal(hasDuplicateKeys('{"a":"a","b":["a","a"],"c":"\\",\\"a\\":"}'), false)
  t.equal(hasDuplicateKeys('{"a":1,"A":2}'), false)
  t.equal(hasDuplicateKeys('[1,2,"a","a"]'), false)
  t.equal(hasDuplicateKeys('"a"'), false)
})
