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

/** One line typed at a terminal, the echo turned off: readline writes only the prompt. */
async function askHidden (io: PasswordInput, prompt: string): Promise<string> {
  const rl = createInterface({ input: io.input, output: io.output, terminal: true })
  const writeOriginal = (rl as any)._writeToOutput
  ;(rl as any)._writeToOutput = (text: string) => { if (text.includes(prompt)) writeOriginal.call(rl, text) }
  try {
    return await new Promise<string>(resolve => rl.question(prompt, resolve))
  } finally {
    rl.close()
    io.output.write('\n')
  }
}

/**
 * Reads a password: from a pipe, everything up to the end (one trailing
 * newline dropped); at a terminal, twice with the echo off, refusing a
 * mismatch (a typo there would otherwise lock the user out). Never from argv:
 * it would show in `ps` and the shell history.
 */
export async function readPassword (prompt: string, io: PasswordInput = { input: process.stdin, output: process.stderr }): Promise<string> {
  if (io.input.isTTY !== true) return await readAll(io.input)
  const first = await askHidden(io, prompt)
  const second = await askHidden(io, 'Again: ')
  if (first !== second) throw new PasswordMismatchError()
  return first
}
