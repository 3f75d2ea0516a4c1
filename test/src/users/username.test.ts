import t from 'tap'
import { canonicalUsername, isValidUsername } from '../../../src/users/username.js'

t.test('canonical form: NFKC then lower case', async t => {
  t.equal(canonicalUsername('Alice'), 'alice')
  t.equal(canonicalUsername('ＡＬＩＣＥ'), 'alice', 'full-width letters')
  t.equal(canonicalUsername('Jos\u0065\u0301'), 'jos\u00E9', 'composed')
})

t.test('allowed characters and lengths', async t => {
  for (const name of ['bob', 'alice.smith', 'a_b-c', 'user@example.com', 'x+tag', 'jos\u00E9', '\u540D\u524D\u3067\u3059', 'a'.repeat(64)]) {
    t.ok(isValidUsername(name), `${name} is valid`)
  }
  for (const name of ['ab', 'a'.repeat(65), 'has space', 'sl/ash', 'semi;colon', 'quote"', '', 'tab\t1', 'emoji\u{1F600}']) {
    t.notOk(isValidUsername(name), `${JSON.stringify(name)} is invalid`)
  }
})
