import t from 'tap'
import fc from 'fast-check'
import { hasDuplicateKeys, hasDuplicateKeysParsed } from '../../src/tokens/duplicate-keys.js'

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

t.test('a plain name and an escaped spelling of it collide, whichever comes first', async t => {
  t.equal(hasDuplicateKeys('{"ab":1,"a\\u0062":2}'), true)
  t.equal(hasDuplicateKeys('{"a\\u0062":1,"ab":2}'), true)
  t.equal(hasDuplicateKeys('{"a\\\\":1,"a\\u005c":2}'), true, 'a name ending in a backslash')
  t.equal(hasDuplicateKeys('{"\\"":1,"\\u0022":2}'), true, 'a quote')
  t.equal(hasDuplicateKeys('{"a\\\\":1,"a":2}'), false)
  t.equal(hasDuplicateKeys('{"a\\\\b":1,"a\\\\\\\\b":2}'), false, 'one backslash and two are different names')
})

t.test('agrees with unescaping every name (random names, each spelled plainly or fully \\u-escaped)', async t => {
  const escapeAll = (name: string) => `"${[...name].map(c => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')}"`
  fc.assert(fc.property(fc.array(fc.tuple(fc.string({ maxLength: 4 }), fc.boolean()), { maxLength: 6 }), members => {
    const json = `{${members.map(([name, escaped], i) => `${escaped ? escapeAll(name) : JSON.stringify(name)}:${i}`).join(',')}}`
    const names = members.map(([name]) => name)
    return hasDuplicateKeys(json) === (new Set(names).size !== names.length)
  }), { numRuns: 2000 })
})

t.test('the check given the parsed value agrees with the full scan', async t => {
  const cases = [
    '{"a":"x","a":"y"}', '{"a":1,"a":2}', '{"a":{"b":1},"a":{"c":"d"}}', '{"x":[{"c":"1"},{"c":2,"c":"3"}]}',
    '{"a":"a","b":["a","a"]}', '{"__proto__":1,"b":"c"}', '{"a":1,"\\u0061":2}', '{"c":"\\",\\"a\\":"}', '{}', '{"a":[]}'
  ]
  for (const json of cases) t.equal(hasDuplicateKeysParsed(json, JSON.parse(json)), hasDuplicateKeys(json), json)
  const value: fc.Arbitrary<string> = fc.letrec<{ value: string, object: string }>(tie => ({
    value: fc.oneof({ depthSize: 'small' }, fc.constantFrom('1', 'null', 'true'), fc.string({ maxLength: 3 }).map(s => JSON.stringify(s)), tie('object'),
      fc.array(tie('value'), { maxLength: 3 }).map(items => `[${items.join(',')}]`)),
    object: fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'sub', '"'), tie('value')), { maxLength: 4 })
      .map(members => `{${members.map(([name, v]) => `${JSON.stringify(name)}:${v}`).join(',')}}`)
  })).object
  fc.assert(fc.property(value, json => hasDuplicateKeysParsed(json, JSON.parse(json)) === hasDuplicateKeys(json)), { numRuns: 3000 })
})
