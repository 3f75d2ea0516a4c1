import { Writable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../app.js'
import type { Config } from '../src/config.js'
import { loadKeySet } from '../src/tokens/keys.js'
import { testConfig } from './helper.js'

export interface CapturedLogs {
  /** Everything pino wrote, as one string. */
  text: () => string
  /** The parsed JSON lines. */
  lines: () => Array<Record<string, unknown>>
  /** The audit lines, optionally only those of one event. */
  audit: (event?: string) => Array<Record<string, unknown>>
}

/** Like helper's build(), but with pino writing JSON lines into memory. */
export async function buildWithLogs (t: Parameters<typeof testConfig>[0], env: Record<string, string> = {}, adjust?: (config: Config) => void): Promise<{ app: FastifyInstance, logs: CapturedLogs }> {
  const config = testConfig(t, { LOG_LEVEL: 'trace', ...env })
  adjust?.(config)
  const chunks: string[] = []
  const stream = new Writable({
    write (chunk: Buffer, _encoding, callback) { chunks.push(chunk.toString('utf8')); callback() }
  })
  const app = await buildApp({ config, keys: loadKeySet(config), logStream: stream })
  t.teardown(async () => { await app.close() })
  const text = () => chunks.join('')
  const lines = () => text().split('\n').filter(l => l.trim() !== '').map(l => JSON.parse(l) as Record<string, unknown>)
  const audit = (event?: string) => lines().filter(l => l.audit === true && (event === undefined || l.event === event))
  return { app, logs: { text, lines, audit } }
}
