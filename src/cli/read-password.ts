import { createInterface } from 'node:readline'
import type { Readable, Writable } from 'node:stream'

export class PasswordMismatchError extends Error {
  constructor () {
    super('the two passwords differ; nothing was changed')
    this.name = 'PasswordMismatchError'
  }
}

export interface PasswordInput {
  input: Readable & { isTTY?: boolean }
  /** Where prompts go (standard error, so that standard output stays the command's result). */
  output: Writable
}

async function readAll (input: Readable): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of input) chunks.push(Buffer.from(chunk as Buffer))
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '')
}

/**
 * Reads a password: from a pipe, everything up to the end (one trailing
 * newline dropped); at a terminal, twice with the echo off, refusing a
 * mismatch (a typo there would otherwise lock the user out). Never from argv:
 * it would show in `ps` and the shell history.
 */
export async function readPassword (prompt: string, io: PasswordInput = { input: process.stdin, output: process.stderr }): Promise<string> {
  if (io.input.isTTY !== true) return await readAll(io.input)
  const rl = createInterface({ input: io.input, output: io.output, terminal: true })
  // Echo off: readline writes nothing (it would echo each key); the prompts are written here.
  ;(rl as any)._writeToOutput = () => {}
  // One interface and its line iterator for both answers: a line typed ahead is kept, not lost.
  const lines = rl[Symbol.asyncIterator]()
  const ask = async (text: string): Promise<string> => {
    io.output.write(text)
    const line = await lines.next()
    io.output.write('\n')
    if (line.done === true) throw new Error('no password was typed')
    return line.value
  }
  try {
    const first = await ask(prompt)
    if (first !== await ask('Again: ')) throw new PasswordMismatchError()
    return first
  } finally {
    rl.close()
  }
}
