import { PassThrough } from 'node:stream'
import t from 'tap'
import { PasswordMismatchError, readPassword } from '../../../src/cli/read-password.js'

/** A fake terminal: answers each prompt as it appears on the output, and records what was shown. */
function terminal (answers: string[]) {
  const input = Object.assign(new PassThrough(), { isTTY: true })
  const output = new PassThrough()
  let shown = ''
  output.on('data', (chunk: Buffer) => {
    const text = chunk.toString()
    shown += text
    if (/: $/.test(text)) {
      const answer = answers.shift()
      if (answer !== undefined) setImmediate(() => input.write(`${answer}\n`))
    }
  })
  return { io: { input, output }, shown: () => shown }
}

t.test('at a terminal: asked twice with the echo off', async t => {
  const term = terminal(['Sturdy-Lamp-Orbit-42', 'Sturdy-Lamp-Orbit-42'])
  t.equal(await readPassword('Password for alice: ', term.io), 'Sturdy-Lamp-Orbit-42')
  t.match(term.shown(), /Password for alice: [\s\S]*Again: /, 'both prompts shown')
  t.notOk(term.shown().includes('Sturdy'), 'what was typed is not echoed')
})

t.test('at a terminal: two different answers are refused', async t => {
  const term = terminal(['Sturdy-Lamp-Orbit-42', 'Sturdy-Lamp-Orbit-43'])
  await t.rejects(readPassword('Password for alice: ', term.io), PasswordMismatchError)
})

t.test('from a pipe: read once, to the end, without the final newline and without a prompt', async t => {
  const input = new PassThrough()
  const output = new PassThrough()
  let shown = ''
  output.on('data', (chunk: Buffer) => { shown += chunk.toString() })
  input.end('Sturdy-Lamp-Orbit-42\n')
  t.equal(await readPassword('Password for alice: ', { input, output }), 'Sturdy-Lamp-Orbit-42')
  t.equal(shown, '', 'no prompt')
})
