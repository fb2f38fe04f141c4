import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { QR_PAGE_MESSAGES } from '../../gateway/http/qr-page-html.ts'
import { startBrowser } from '../support/browser.ts'
import { startProcessStack } from '../support/process-stack.ts'
import type { ProcessStack } from '../support/process-stack.ts'
import { until } from '../support/until.ts'

type Browser = Awaited<ReturnType<typeof startBrowser>>
type Page = Awaited<ReturnType<Browser['newPage']>>

const statusText = (page: Page) => page.locator('#status').innerText()
const qrSource = (page: Page) => page.locator('img').getAttribute('src')
const waitForText = (page: Page, expected: string) =>
  until(async () => ((await statusText(page)) === expected ? true : undefined), `the page to say "${expected}"`)

describe('the QR page in a browser, on the late-2026 server', () => {
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

  const openQrPage = async (sessionId: string): Promise<Page> => {
    assert.equal((await stack.call('POST', '/api/sessions/create', { body: { sessionId } })).status, 201)
    const link = (await stack.call('POST', `/api/sessions/${sessionId}/qr-link`)).body.data as { url: string }
    const page = await browser.newPage()
    await page.goto(link.url)
    return page
  }
  const currentQr = (sessionId: string) => async () => {
    const response = await stack.call('GET', `/api/sessions/${sessionId}/qr`)
    return response.status === 200 ? (response.body.data as { qr: string; qrImage: string; refreshed: boolean }) : undefined
  }

  it('shows the code, says to scan again once WhatsApp refreshed it after the scan, then turns to connected', async () => {
    const page = await openQrPage('front-desk')
    await waitForText(page, QR_PAGE_MESSAGES.scan)
    const first = await until(currentQr('front-desk'), 'a QR code')
    assert.equal(await qrSource(page), first.qrImage)

    assert.equal((await stack.sim.scanQr(first.qr, { accountPn: '6281400000001' })).kind, 'refresh-requested')
    await waitForText(page, QR_PAGE_MESSAGES.refreshed)
    const refreshed = await until(async () => {
      const qr = await currentQr('front-desk')()
      return qr?.refreshed ? qr : undefined
    }, 'the refreshed QR')
    assert.equal(await qrSource(page), refreshed.qrImage, 'the page shows the refreshed code')
    assert.notEqual(refreshed.qrImage, first.qrImage)

    assert.equal((await stack.sim.scanQr(refreshed.qr, { accountPn: '6281400000001' })).kind, 'linked')
    await waitForText(page, 'Connected as +6281400000001')
    assert.equal(await page.locator('img').isHidden(), true)
    assert.deepEqual(browser.outside, [])
  })

  it('says what to do when the account asks for a passkey', async () => {
    stack.sim.addAccount('6281400000002', { passkeyRequired: true })
    const page = await openQrPage('passkey')
    await waitForText(page, QR_PAGE_MESSAGES.scan)
    await assert.rejects(
      stack.sim.linkWithQr(async () => (await currentQr('passkey')())?.qr, { accountPn: '6281400000002' }),
      /passkey/
    )
    await waitForText(page, `Linking failed: ${QR_PAGE_MESSAGES.link_failed.passkey_required}`)
    assert.equal(await page.locator('img').isHidden(), true)
    assert.deepEqual(browser.outside, [])
  })
})
