import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import t from 'tap'
import { addUser, build, PASSWORD, tempDir } from '../helper.js'
import { CHROMIUM, needChromium } from '../services.js'
import { freePort } from '../child-process.js'

/**
 * Item 3 of issue 7: Swagger UI in Debian's headless Chromium. Authorize with
 * the OAuth2 password flow, "Try it out" on GET /users/me, and find the 200
 * and the username on the page. The screenshot is kept (its path is printed).
 * Issue 14 item 5: the browser opens the docs through another host name than
 * PUBLIC_URL's (127.0.0.1 against localhost), as the README's own link does,
 * and every request it makes still goes to the origin it opened.
 */
const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-quic'
]

t.test('Swagger UI: Authorize with a password, then try GET /users/me', async t => {
  if (!await needChromium(t)) return
  const port = await freePort()
  const baseUrl = `http://127.0.0.1:${port}`
  const app = await build(t, { PUBLIC_URL: `http://localhost:${port}` })
  await addUser(app, 'alice')
  await app.listen({ host: '127.0.0.1', port })

  const context = await chromium.launchPersistentContext(tempDir(t, 'gatehouse-chromium-'), {
    executablePath: CHROMIUM, headless: true, args: FLAGS, timeout: 60_000
  })
  t.teardown(async () => { await context.close() })
  const page = context.pages()[0] ?? await context.newPage()
  page.setDefaultTimeout(30_000)
  const problems: string[] = []
  page.on('console', message => { if (message.type() === 'error') problems.push(message.text()) })
  page.on('pageerror', err => { problems.push(err.message) })
  const origins = new Set<string>()
  page.on('request', request => { if (/^https?:/.test(request.url())) origins.add(new URL(request.url()).origin) })
  const tokenRequests: string[] = []
  page.on('requestfinished', request => { if (new URL(request.url()).pathname === '/token') tokenRequests.push(request.url()) })

  await page.goto(`${baseUrl}/docs`)
  await page.locator('.swagger-ui .btn.authorize').first().click()
  const dialog = page.locator('.dialog-ux .modal-ux')
  // The dialog lists every security scheme (also clientBasic and the client-credentials flow): the password flow's own block.
  const passwordFlow = dialog.locator('.auth-container').filter({ hasText: 'OAuth2PasswordBearer' })
  await passwordFlow.locator('#oauth_username').fill('alice')
  await passwordFlow.locator('#oauth_password').fill(PASSWORD)
  await passwordFlow.locator('button.authorize').click()
  await passwordFlow.getByText('Authorized', { exact: false }).first().waitFor()
  await dialog.locator('button.btn-done, button.close-modal').first().click()

  const operation = page.locator('.opblock-get').filter({ has: page.locator('[data-path="/users/me"]') }).first()
  await operation.locator('.opblock-summary').first().click()
  // uiConfig.tryItOutEnabled may already have switched it on (the button then reads "Cancel").
  const tryItOut = operation.locator('button.try-out__btn')
  if (/try it out/i.test(await tryItOut.innerText())) await tryItOut.click()
  await operation.locator('button.execute').click()
  const live = operation.locator('.live-responses-table .response').first()
  await live.waitFor()
  const status = (await live.locator('.response-col_status').innerText()).trim()
  const body = await live.locator('.response-col_description pre, .microlight').first().innerText()

  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-swagger-ui-'))
  const screenshot = join(dir, 'swagger-ui-users-me.png')
  await page.screenshot({ path: screenshot, fullPage: true })
  t.comment(`screenshot: ${screenshot}`)

  t.equal(status, '200', 'the live response is a 200')
  t.match(body, /"username":\s*"alice"/, 'the response body shows the user')
  t.same(problems, [], 'no errors (such as CSP violations) in the console')
  t.same([...origins], [baseUrl], 'every request went to the origin the docs were opened through')
  t.same(tokenRequests, [`${baseUrl}/token`], 'the login went to that origin\'s /token')
})
