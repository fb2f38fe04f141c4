import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mintToken } from '../../gateway/auth/mint-token.ts'
import { startBrowser } from '../support/browser.ts'
import { screenshot, signIn, textOf, watchPolicy } from '../support/dashboard-page.ts'
import { codesIn, recordSensitive } from '../support/log-audit.ts'
import { startProcesses } from '../support/processes.ts'
import type { StackProcesses } from '../support/processes.ts'
import { until } from '../support/until.ts'

type Browser = Awaited<ReturnType<typeof startBrowser>>

/**
 * The dashboard's lists, funnel and live events in Chromium against the sandbox stack. Receipts
 * come quickly but the read receipt never does, so an OTP rests at "delivered" until verified.
 */
describe('the dashboard lists, funnel and event monitor in a browser', () => {
  let stack: StackProcesses
  let browser: Browser
  let admin: string
  const api = async <T>(method: string, path: string, body?: unknown) => {
    const response = await fetch(`${stack.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    })
    return { status: response.status, data: ((await response.json()) as { data: T }).data }
  }
  const connectedSession = async (sessionId: string) => {
    assert.equal((await api('POST', '/api/sessions/create', { sessionId })).status, 201)
    await until(
      async () => ((await api<{ status: string }>('GET', `/api/sessions/${sessionId}/status`)).data.status === 'connected' ? true : undefined),
      `${sessionId} connected`
    )
  }
  const codeSentTo = (to: string) =>
    until(async () => {
      const read = await api<{ text: string | null }[]>('GET', `/api/sandbox/messages?to=${to}`)
      return codesIn(read.data.at(-1)?.text)[0]
    }, 'the code the recipient read')
  const page = async () => {
    const opened = await browser.newPage()
    const violations = await watchPolicy(opened)
    await signIn(opened, stack.url, admin)
    return { page: opened, violations }
  }

  before(async () => {
    stack = await startProcesses({
      WA_MODE: 'sandbox',
      SANDBOX_DELIVERED_AFTER_MS: '100',
      SANDBOX_READ_AFTER_MS: '3600000',
      WEBHOOK_ALLOWED_HOSTS: '127.0.0.1'
    })
    admin = await mintToken({ secret: stack.env.JWT_SECRET!, scopes: ['admin'], ttlSeconds: 900 })
    recordSensitive(admin)
    browser = await startBrowser()
    await connectedSession('desk')
    // The send governor is on in the sandbox: these tests write to several new numbers in a row.
    assert.equal((await api('PUT', '/api/sessions/desk/governor', { settings: { newChatGapSeconds: 0 } })).status, 200)
  })
  after(async () => {
    await browser?.stop()
    await stack?.stop()
  })

  it("shows an OTP sent through the API move to delivered, then approved, in the session's OTP list", async () => {
    const { page: p, violations } = await page()
    const sent = await api<{ otpId: string }>('POST', '/api/messages/desk/otp', { to: '081234567001' })
    assert.equal(sent.status, 201)
    await p.evaluate(`location.hash = '#/sessions/desk'`)
    const otp = `#session-otps [data-otp="${sent.data.otpId}"]`
    await textOf(p, `${otp} [data-field=delivery]`, text => text === 'delivery: delivered', 'the OTP delivered')
    assert.equal(await p.locator(`${otp} [data-field=status]`).textContent(), 'pending')
    const code = await codeSentTo('081234567001')
    recordSensitive(code)
    assert.equal((await api<{ status: string }>('POST', '/api/otp/verify', { otpId: sent.data.otpId, code })).data.status, 'approved')
    await textOf(p, `${otp} [data-field=status]`, text => text === 'approved', 'the OTP approved')
    await screenshot(p, 'session-detail')
    assert.deepEqual(violations, [])
  })

  it('filters messages by session, status and recipient', async () => {
    const ids: string[] = []
    for (const text of ['one', 'two', 'three'])
      ids.push((await api<{ messageId: string }>('POST', '/api/messages/desk/text', { to: '081234567002', text })).data.messageId)
    await until(async () => {
      const all = await Promise.all(ids.map(id => api<{ status: string }>('GET', `/api/messages/desk/${id}`)))
      return all.every(m => m.data.status === 'delivered') ? true : undefined
    }, 'the texts delivered')
    const { page: p } = await page()
    await p.getByRole('link', { name: 'Messages' }).click()
    // The link changes the hash; the screen is drawn when the page hears of it.
    await p.getByRole('heading', { name: 'Messages', level: 1 }).waitFor()
    await p.getByLabel('Session').selectOption('desk')
    await p.getByLabel('Status').selectOption('delivered')
    await p.getByLabel('Recipient').fill('081234567002')
    await p.getByRole('button', { name: 'Apply filters' }).click()
    await until(async () => ((await p.locator('[data-message]').count()) === 3 ? true : undefined), 'the three texts listed')
    assert.deepEqual((await p.locator('[data-message]').evaluateAll(rows => rows.map(r => r.getAttribute('data-message')))).sort(), [...ids].sort())
    await p.getByLabel('Status').selectOption('failed')
    await p.getByRole('button', { name: 'Apply filters' }).click()
    await textOf(p, 'main .note', text => text === 'No messages.', 'no failed texts')
    await screenshot(p, 'messages')
  })

  it('lists OTPs across sessions by status', async () => {
    const sent = await api<{ otpId: string }>('POST', '/api/messages/desk/otp', { to: '081234567003' })
    await api('POST', `/api/otp/${sent.data.otpId}/cancel`)
    const { page: p } = await page()
    await p.getByRole('link', { name: 'OTPs' }).click()
    await p.getByLabel('Status').selectOption('canceled')
    await p.getByRole('button', { name: 'Apply filters' }).click()
    await p.locator(`[data-otp="${sent.data.otpId}"]`).waitFor()
    assert.deepEqual(
      await p.locator('[data-otp] [data-field=status]').allTextContents(),
      (await p.locator('[data-otp]').all()).map(() => 'canceled')
    )
    await screenshot(p, 'otps')
  })

  it('drops a list answer that comes back after the filters changed', async () => {
    const sent = await api<{ otpId: string }>('POST', '/api/messages/desk/otp', { to: '081234567007' })
    await api('POST', `/api/otp/${sent.data.otpId}/cancel`)
    const { page: p } = await page()
    // The first, unfiltered load of the OTP list answers only after the filtered one has.
    let release = () => {}
    const released = new Promise<void>(resolve => {
      release = resolve
    })
    const unfiltered = (url: URL) => url.pathname === '/api/otp' && !url.searchParams.has('status')
    await p.route(unfiltered, async route => {
      await released
      await route.continue()
    })
    await p.getByRole('link', { name: 'OTPs' }).click()
    await p.getByLabel('Status').selectOption('canceled')
    await p.getByRole('button', { name: 'Apply filters' }).click()
    await p.locator(`[data-otp="${sent.data.otpId}"]`).waitFor()
    const late = p.waitForResponse(response => unfiltered(new URL(response.url())))
    release()
    await late
    // Let the page handle the late answer before looking.
    await p.evaluate(() => new Promise(resolve => setTimeout(resolve, 200)))
    assert.equal(await p.locator(`[data-otp="${sent.data.otpId}"]`).count(), 1)
    assert.deepEqual(
      await p.locator('[data-otp] [data-field=status]').allTextContents(),
      (await p.locator('[data-otp]').all()).map(() => 'canceled')
    )
    await p.unroute(unfiltered)
  })

  it('shows each webhook delivery with its attempts and status', async () => {
    assert.equal((await api('PUT', '/api/sessions/desk/webhook', { url: 'http://127.0.0.1:9/hooks', events: ['message.received'] })).status, 200)
    await api('POST', '/api/sandbox/inbound', { sessionId: 'desk', from: '081234567004', text: 'hello' })
    const { page: p } = await page()
    await p.getByRole('link', { name: 'Webhooks' }).click()
    await p.getByRole('heading', { name: 'Webhooks', level: 1 }).waitFor()
    await p.getByLabel('Session').fill('desk')
    await p.getByRole('button', { name: 'Apply filters' }).click()
    await textOf(p, '[aria-label="Webhook deliveries"] [data-event]', text => /message\.received · desk[\s\S]*attempts/.test(text), 'the delivery listed')
  })

  it('draws the OTP funnel of the last 24 hours', async () => {
    const sent = await api<{ otpId: string }>('POST', '/api/messages/desk/otp', { to: '081234567005' })
    const code = await codeSentTo('081234567005')
    recordSensitive(code)
    await api('POST', '/api/otp/verify', { otpId: sent.data.otpId, code })
    const { page: p } = await page()
    await p.getByRole('link', { name: 'OTP funnel' }).click()
    await textOf(p, '#funnel', text => text.includes('From'), 'the chart')
    const summary = (await p.locator('#funnel svg').getAttribute('aria-label')) ?? ''
    assert.match(summary, /approved [1-9]/)
    await screenshot(p, 'funnel')
  })

  it('streams live events as they happen', async () => {
    const { page: p } = await page()
    await p.getByRole('link', { name: 'Live events' }).click()
    await textOf(p, '[role=status]', text => text === 'Streaming.', 'the stream open')
    await api('POST', '/api/sandbox/inbound', { sessionId: 'desk', from: '081234567006', text: 'live one' })
    await textOf(p, '#events', text => text.includes('message.received') && text.includes('live one'), 'the event shown')
    await screenshot(p, 'events')
    assert.deepEqual(browser.outside, [])
  })
})
