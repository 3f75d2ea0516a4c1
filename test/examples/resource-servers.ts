import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import type { Test } from 'tap'
import { build } from '../helper.js'
import { baseEnv, freePort, ROOT, spawnChild, waitFor, type Child } from '../child-process.js'
import { forge, hmac, signWith, decodeSegment, type KeyPairFiles } from '../keys/key-files.js'

/**
 * gatehouse in this process, listening on a fixed 127.0.0.1 port with
 * PUBLIC_URL on it, and the example resource servers as real child processes
 * pointed at it. Restarting gatehouse keeps its port and its SQLite file, so
 * a running example sees a key rotation exactly as it would in production.
 */
export const PYTHON = '/usr/bin/python3'
export const FASTIFY_EXAMPLE = join(ROOT, 'examples', 'fastify-resource-server', 'server.mjs')
export const PYTHON_EXAMPLE = join(ROOT, 'examples', 'python-resource-server', 'server.py')

export type Algorithm = 'ES256' | 'RS256'

export interface Gatehouse {
  app: FastifyInstance
  issuer: string
  port: number
}

export async function startGatehouse (t: Test, options: { dataDir: string, port: number, algorithm: Algorithm, signing: KeyPairFiles, retired?: KeyPairFiles[], publicUrl?: string }): Promise<Gatehouse> {
  const issuer = options.publicUrl ?? `http://127.0.0.1:${options.port}`
  const app = await build(t, {
    DATA_DIR: options.dataDir,
    PORT: String(options.port),
    PUBLIC_URL: issuer,
    JWT_ALGORITHM: options.algorithm,
    JWT_PRIVATE_KEY_FILE: options.signing.privateFile,
    JWT_PREVIOUS_KEY_FILES: (options.retired ?? []).map(k => k.publicFile).join(','),
    // Short, so that the examples' caches (which follow it by default) expire within a test.
    JWKS_MAX_AGE_SECONDS: '1'
  })
  await app.listen({ port: options.port, host: '127.0.0.1' })
  return { app, issuer, port: options.port }
}

export interface Example {
  name: string
  baseUrl: string
  child: Child
  get: (path: string, token?: string) => Promise<{ status: number, body: Record<string, unknown>, wwwAuthenticate: string | null }>
}

/** Starts an example on a free port and waits until it answers; its settings are the ones its README documents. */
export async function startExample (t: Test, name: string, command: string, script: string, env: Record<string, string>): Promise<Example> {
  const port = await freePort()
  const baseUrl = `http://127.0.0.1:${port}`
  const child = spawnChild(t, command, [script], { env: baseEnv({ HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', ...env }), cwd: ROOT })
  const get = async (path: string, token?: string) => {
    const res = await fetch(`${baseUrl}${path}`, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } })
      .catch((err: unknown) => { throw new Error(`GET ${path} at the ${name} example failed (${String(err)}); its output:\n${child.output()}`) })
    return { status: res.status, body: await res.json() as Record<string, unknown>, wwwAuthenticate: res.headers.get('www-authenticate') }
  }
  await waitFor(`the ${name} example on ${baseUrl}\n${child.output()}`, async () => {
    if (child.child.exitCode !== null) throw new Error(`${name} exited:\n${child.output()}`)
    return (await fetch(`${baseUrl}/hello`)).status === 401
  }, 150)
  return { name, baseUrl, child, get }
}

/** Whether Debian's python3-jwt (PyJWT) is importable by /usr/bin/python3; its version, or undefined. */
export function pyjwtVersion (): string | undefined {
  const probe = spawnSync(PYTHON, ['-c', 'import jwt, cryptography; print(jwt.__version__)'], { encoding: 'utf8' })
  return probe.status === 0 ? probe.stdout.trim() : undefined
}

/**
 * True when the Python example can run; otherwise skips its part (or fails
 * under .ci/run, GATEHOUSE_REQUIRE_SERVICES=1), as test/services.ts does.
 */
export function needPyJwt (t: Test): boolean {
  if (pyjwtVersion() !== undefined) return true
  const message = `${PYTHON} cannot import jwt and cryptography (apt-get install python3-jwt python3-cryptography)`
  if (process.env.GATEHOUSE_REQUIRE_SERVICES === '1') t.fail(`${message} (GATEHOUSE_REQUIRE_SERVICES=1 turns this skip into a failure)`)
  else void t.skip(`the Python example: ${message}: skipped (set GATEHOUSE_REQUIRE_SERVICES=1 to fail instead)`, () => {})
  return false
}

/**
 * Tokens a real signer would never hand out, built by hand: `claims` and
 * `header` override those of a genuine token, signed with the given key
 * (the genuine one, so only the changed part can make it fail).
 */
export function reSigned (genuine: string, key: KeyPairFiles, algorithm: Algorithm, header: Record<string, unknown> = {}, claims: Record<string, unknown> = {}): string {
  return forge({ ...decodeSegment(genuine, 0), ...header }, { ...decodeSegment(genuine, 1), ...claims }, signWith(algorithm, key.privateKey))
}

export function algNone (genuine: string): string {
  return forge({ ...decodeSegment(genuine, 0), alg: 'none' }, decodeSegment(genuine, 1), () => Buffer.alloc(0))
}

/** The classic confusion attack: HS256 keyed with the published public key. */
export function hs256WithPublicKey (genuine: string, key: KeyPairFiles): string {
  return forge({ ...decodeSegment(genuine, 0), alg: 'HS256' }, decodeSegment(genuine, 1), hmac(key.publicPem))
}

/** The payload changed (more scope), the signature kept. */
export function tampered (genuine: string): string {
  const [header, , signature] = genuine.split('.')
  const payload = Buffer.from(JSON.stringify({ ...decodeSegment(genuine, 1), scope: 'users:admin' })).toString('base64url')
  return `${header as string}.${payload}.${signature as string}`
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000)

export { freePort }
