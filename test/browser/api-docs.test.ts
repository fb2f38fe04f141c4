import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { startBrowser } from '../support/browser.ts'
import { startProcessStack } from '../support/process-stack.ts'
import type { ProcessStack } from '../support/process-stack.ts'
import { until } from '../support/until.ts'

type Browser = Awaited<ReturnType<typeof startBrowser>>
type OpenApi = { paths: Record<string, Record<string, { summary?: string; tags?: string[] }>> }
type Violation = { directive: string; blocked: string }

/**
 * What a newcomer sees at /api/docs on a machine without internet: the gateway as `npm start` runs
 * it, Debian's Chromium with every request off 127.0.0.1 aborted, and the page's CSP enforced.
 */
describe('the API reference in a browser, offline', () => {
  let stack: ProcessStack
  let browser: Browser
  before(async () => {
    stack = await startProcessStack()
    browser = await startBrowser()
  })
  after(async () => {
    await browser?.stop()
    await stack?.stop()
  })

  it('renders every tag and operation of the OpenAPI document from the gateway alone', async () => {
    const doc = (await (await fetch(`${stack.url}/api/openapi.json`)).json()) as OpenApi
    const operations = Object.values(doc.paths).flatMap(methods => Object.values(methods))
    const tags = [...new Set(operations.flatMap(operation => operation.tags ?? []))]
    assert.ok(operations.length >= 30 && tags.length >= 5, `${operations.length} operations in ${tags.length} tags`)

    const page = await browser.newPage()
    const violations: Violation[] = []
    await page.exposeFunction('reportViolation', (violation: Violation) => void violations.push(violation))
    await page.addInitScript({
      content: `document.addEventListener('securitypolicyviolation', event => reportViolation({ directive: event.effectiveDirective, blocked: event.blockedURI }))`
    })
    const response = await page.goto(`${stack.url}/api/docs`)
    assert.equal(response?.status(), 200)
    assert.match(response?.headers()['content-security-policy'] ?? '', /^default-src 'self';/)

    // The sidebar lists every tag; opening each group lists its operations by summary.
    const sidebar = page.getByRole('navigation', { name: /^Sidebar for/ })
    await until(async () => ((await sidebar.innerText().catch(() => '')).includes(tags.at(-1)!) ? true : undefined), 'the sidebar to list the tags')
    const listed = await sidebar.innerText()
    for (const tag of tags) assert.ok(listed.includes(tag), `tag ${tag} listed`)
    const closed = sidebar.getByRole('button', { name: 'Open Group' })
    for (let opened = 0; (await closed.count()) > 0 && opened < 20; opened++) await closed.first().click()
    await until(async () => {
      const text = await sidebar.innerText()
      return operations.every(operation => text.includes(operation.summary!)) ? true : undefined
    }, 'every operation summary in the sidebar')
    assert.ok((await page.locator('body').innerText()).includes('WhatsApp OTP gateway'), 'the document title')

    assert.deepEqual(browser.outside, [], 'nothing was fetched from another origin')
    // The bundle probes once whether it may compile code (new Function, in a try); nothing else is refused.
    assert.deepEqual(
      violations.filter(v => !(v.directive === 'script-src' && v.blocked === 'eval')),
      []
    )
    await page.close()
  })

  it('answers a repeat visit for the script with 304 and sends it compressed', async () => {
    const first = await fetch(`${stack.url}/api/docs/assets/api-reference.js`, { headers: { 'accept-encoding': 'gzip' } })
    assert.equal(first.status, 200)
    assert.equal(first.headers.get('content-encoding'), 'gzip')
    assert.ok((await first.arrayBuffer()).byteLength > 1_000_000, 'the decompressed bundle')
    const again = await fetch(`${stack.url}/api/docs/assets/api-reference.js`, { headers: { 'if-none-match': first.headers.get('etag')! } })
    assert.equal(again.status, 304)
    const missing = await fetch(`${stack.url}/api/docs/assets/other.js`)
    assert.equal(missing.status, 404)
    assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'NOT_FOUND')
  })
})
