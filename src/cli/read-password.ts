import { createInterface } from 'node:readline'

/**
 * Reads a password from standard input: one line when piped, a prompt with
 * the echo turned off when interactive. Never from argv (it would show in
 * `ps` and shell history).
 */
export async function readPassword (prompt: string): Promise<string> {
  const input = process.stdin
  if (!input.isTTY) {
    const chunks: Buffer[] = []
    for await (const chunk of input) chunks.push(chunk as Buffer)
    return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '')
  }
  const rl = createInterface({ input, output: process.stderr, terminal: true })
  const writeOriginal = (rl as any)._writeToOutput
  ;(rl as any)._writeToOutput = (text: string) => { if (text.includes(prompt)) writeOriginal.call(rl, text) }
  try {
    return await new Promise<string>(resolve => rl.question(prompt, resolve))
  } finally {
    rl.close()
    process.stderr.write('\n')
  }
}
