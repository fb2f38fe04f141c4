import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { startBrowser } from '../support/browser.ts'
import { screenshot, signIn, textOf, watchPolicy } from '../support/dashboard-page.ts'
import { startProcessStack } from '../support/process-stack.ts'
import type { ProcessStack } from '../support/process-stack.ts'
import { until } from '../support/until.ts'

type Browser = Awaited<ReturnType<typeof startBrowser>>
type Qr = { qr: string; qrImage: string; refreshed: boolean }

/**
 * The dashboard's link view against the emulator with a phone that scans only when the test says
 * so (sandbox sessions link by themselves too fast to watch the code rotate).
 */
describe("the dashboard's live QR, on the late-2026 server", () => {
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

  const currentQr = async () => {
    const response = await stack.call('GET', '/api/sessions/counter/qr')
    return response.status === 200 ? (response.body.data as Qr) : undefined
  }

  it('shows the code the API serves, follows it when WhatsApp refreshes it after a scan, then says connected', async () => {
    const page = await browser.newPage()
    const violations = await watchPolicy(page)
    await signIn(page, stack.url, stack.admin)
    await page.getByLabel('Session id (optional)').fill('counter')
    await page.getByRole('button', { name: 'Create session' }).click()
    await page.waitForURL(/#\/sessions\/counter\/link$/)
    const image = page.getByRole('img', { name: 'QR code to link counter' })
    const shown = (expected: string, what: string) => until(async () => ((await image.getAttribute('src')) === expected ? true : undefined), what)

    const first = await until(currentQr, 'a QR code')
    await shown(first.qrImage, 'the first code on the page')
    await screenshot(page, 'link-qr')
    assert.equal((await stack.sim.scanQr(first.qr, { accountPn: '6281400000011' })).kind, 'refresh-requested')
    const refreshed = await until(async () => {
      const qr = await currentQr()
      return qr?.refreshed ? qr : undefined
    }, 'the refreshed code')
    assert.notEqual(refreshed.qrImage, first.qrImage)
    await shown(refreshed.qrImage, 'the refreshed code on the page')
    await textOf(page, '#link-status', text => text === 'WhatsApp refreshed the code: scan it again', 'the rescan hint')

    assert.equal((await stack.sim.scanQr(refreshed.qr, { accountPn: '6281400000011' })).kind, 'linked')
    await textOf(page, '#link-status', text => text === 'Connected as +6281400000011', 'connected')
    assert.equal(await image.isHidden(), true)
    assert.deepEqual(browser.outside, [])
    assert.deepEqual(violations, [])
  })
})
