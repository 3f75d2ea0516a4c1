import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Test } from 'tap'
import t from 'tap'
import { build, PASSWORD, tempDir } from '../helper.js'
import { formBody, jsonBody, request } from '../faults/http-client.js'
import { freePort, serviceEnv, spawnService, startService } from '../child-process.js'

// Real processes on a shared 2-core machine: allow more than the default per-file budget.
t.setTimeout(300_000)

const HSTS = 'strict-transport-security'

function hasOpenssl (): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/** A self-signed P-256 certificate for localhost and 127.0.0.1, valid one day, made now. */
function selfSigned (dir: string): { certFile: string, keyFile: string, cert: Buffer } {
  const certFile = join(dir, 'cert.pem')
  const keyFile = join(dir, 'key.pem')
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
    '-days', '1', '-keyout', keyFile, '-out', certFile
  ], { stdio: 'pipe' })
  return { certFile, keyFile, cert: readFileSync(certFile) }
}

async function refusesToStart (t: Test, env: Record<string, string>, message: RegExp): Promise<void> {
  const service = spawnService(t, env)
  const code = await service.exited
  t.not(code, 0, 'exits non-zero')
  t.match(service.output(), message, 'says which file is wrong and why')
}

t.test('TLS_CERT_FILE/TLS_KEY_FILE: HTTPS served directly, HSTS over TLS', async t => {
  if (!hasOpenssl()) return t.skip('openssl is not installed: cannot make a test certificate', () => {})
  const dir = tempDir(t)
  const tls = selfSigned(dir)
  const service = await startService(t, serviceEnv(dir, await freePort(), {
    TLS_CERT_FILE: tls.certFile, TLS_KEY_FILE: tls.keyFile, SIGNUP_ENABLED: 'true'
  }))
  t.match(service.baseUrl, /^https:/)
  const call = async (path: string, options: Parameters<typeof request>[1] = {}) =>
    await request(`${service.baseUrl}${path}`, { ca: tls.cert, ...options })

  const ready = await call('/health/ready')
  t.equal(ready.status, 200, '/health/ready over https, trusting the test certificate')
  t.equal(ready.headers[HSTS], 'max-age=31536000; includeSubDomains', 'HSTS over TLS')

  t.equal((await call('/users', { method: 'POST', ...jsonBody({ username: 'alice', password: PASSWORD }) })).status, 201)
  const token = await call('/token', { method: 'POST', ...formBody({ username: 'alice', password: PASSWORD }) })
  t.equal(token.status, 200, 'POST /token over https')
  t.type(token.json().access_token, 'string')
  t.ok(token.headers[HSTS], 'HSTS on the token response too')

  await t.rejects(request(`${service.baseUrl}/health/live`), 'a client that does not trust the certificate is refused')
})

t.test('plain HTTP sends no HSTS', async t => {
  const service = await startService(t, serviceEnv(tempDir(t), await freePort()))
  const live = await request(`${service.baseUrl}/health/live`)
  t.equal(live.status, 200)
  t.equal(live.headers[HSTS], undefined)
})

t.test('behind a proxy: X-Forwarded-Proto https gets HSTS only with TRUST_PROXY=true', async t => {
  const forwarded = { 'x-forwarded-proto': 'https' }
  const trusting = await build(t, { TRUST_PROXY: 'true' })
  t.equal((await trusting.inject({ url: '/health/live', headers: forwarded })).headers[HSTS], 'max-age=31536000; includeSubDomains')
  t.equal((await trusting.inject({ url: '/health/live' })).headers[HSTS], undefined, 'no HSTS when the proxy says http')
  const direct = await build(t)
  t.equal((await direct.inject({ url: '/health/live', headers: forwarded })).headers[HSTS], undefined, 'the header is ignored without TRUST_PROXY')
})

t.test('unusable TLS files stop the start with a clear error', async t => {
  const dir = tempDir(t)
  const port = String(await freePort())
  await t.test('missing files', async t => {
    await refusesToStart(t, serviceEnv(dir, Number(port), {
      TLS_CERT_FILE: join(dir, 'nope-cert.pem'), TLS_KEY_FILE: join(dir, 'nope-key.pem')
    }), /TLS_CERT_FILE: cannot read .*nope-cert\.pem.*ENOENT[\s\S]*TLS_KEY_FILE: cannot read/)
  })
  await t.test('only one of the pair', async t => {
    await refusesToStart(t, serviceEnv(dir, Number(port), { TLS_CERT_FILE: join(dir, 'cert.pem') }), /TLS_CERT_FILE, TLS_KEY_FILE: set both or neither/)
  })
  await t.test('not PEM', async t => {
    writeFileSync(join(dir, 'junk.pem'), 'not a certificate\n')
    await refusesToStart(t, serviceEnv(dir, Number(port), {
      TLS_CERT_FILE: join(dir, 'junk.pem'), TLS_KEY_FILE: join(dir, 'junk.pem')
    }), /TLS_CERT_FILE, TLS_KEY_FILE: not a usable certificate and private key pair/)
  })
  await t.test('a key that does not match the certificate', async t => {
    if (!hasOpenssl()) return t.skip('openssl is not installed', () => {})
    const one = selfSigned(tempDir(t))
    const other = selfSigned(tempDir(t))
    await refusesToStart(t, serviceEnv(dir, Number(port), { TLS_CERT_FILE: one.certFile, TLS_KEY_FILE: other.keyFile }),
      /not a usable certificate and private key pair/)
  })
})
