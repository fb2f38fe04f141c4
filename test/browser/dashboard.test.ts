import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mintToken } from '../../gateway/auth/mint-token.ts'
import type { Scope } from '../../gateway/auth/scopes.ts'
import { startBrowser } from '../support/browser.ts'
import { screenshot, signIn, tabTo, textOf, watchPolicy } from '../support/dashboard-page.ts'
import { recordSensitive } from '../support/log-audit.ts'
import { capturedLogs, startProcesses } from '../support/processes.ts'
import type { StackProcesses } from '../support/processes.ts'
import { until } from '../support/until.ts'
import { startWebhookReceiver } from '../support/webhook-receiver.ts'

type Browser = Awaited<ReturnType<typeof startBrowser>>
type Page = Awaited<ReturnType<Browser['newPage']>>
type Violations = Awaited<ReturnType<typeof watchPolicy>>

/**
 * The operator dashboard in Debian's Chromium against the gateway and host as `npm start` runs them
 * in sandbox mode (sessions link by themselves). Every request off 127.0.0.1 is aborted and counted.
 */
describe('the operator dashboard in a browser', () => {
  let stack: StackProcesses
  let browser: Browser
  let admin: string
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>
  const pages: { page: Page; violations: Violations }[] = []

  const token = async (scopes: Scope[], sessions?: string[]) => {
    const minted = await mintToken({ secret: stack.env.JWT_SECRET!, scopes, ttlSeconds: 900, ...(sessions ? { sessions } : {}) })
    recordSensitive(minted)
    return minted
  }
  const api = async <T>(method: string, path: string, body?: unknown) => {
    const response = await fetch(`${stack.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    })
    return { status: response.status, data: ((await response.json()) as { data: T }).data }
  }
  const connected = (sessionId: string) =>
    until(async () => {
      const status = await api<{ status: string; phoneNumber: string | null }>('GET', `/api/sessions/${sessionId}/status`)
      return status.data?.status === 'connected' ? status.data : undefined
    }, `${sessionId} connected`)
  const open = async () => {
    const page = await browser.newPage()
    const violations = await watchPolicy(page)
    pages.push({ page, violations })
    return page
  }

  before(async () => {
    stack = await startProcesses({
      WA_MODE: 'sandbox',
      SANDBOX_DELIVERED_AFTER_MS: '100',
      SANDBOX_READ_AFTER_MS: '300',
      WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
      // A receiver that is down dead-letters its events within a second.
      WEBHOOK_RETRY_DELAYS_MS: '10,20',
      WEBHOOK_RETRY_FOR_MS: '200'
    })
    admin = await token(['admin'])
    receiver = await startWebhookReceiver()
    browser = await startBrowser()
  })
  after(async () => {
    await browser?.stop()
    await receiver?.stop()
    await stack?.stop()
  })

  it('serves the page under a self-only policy, with its bundle from the gateway', async () => {
    const page = await fetch(`${stack.url}/dashboard`)
    assert.equal(page.status, 200)
    assert.match(page.headers.get('content-security-policy') ?? '', /^default-src 'none'; script-src 'self'; style-src 'self';/)
    assert.doesNotMatch(await page.text(), /https?:\/\//, 'the page names no other origin')
    const script = await fetch(`${stack.url}/dashboard/assets/app.js`)
    assert.equal(script.status, 200)
    assert.match(script.headers.get('content-type') ?? '', /^text\/javascript/)
    assert.equal((await fetch(`${stack.url}/dashboard/assets/app.js`, { headers: { 'if-none-match': script.headers.get('etag')! } })).status, 304)
    assert.equal((await fetch(`${stack.url}/dashboard/assets/nothing.js`)).status, 404)
  })

  it('signs in and creates a session with the keyboard alone, then lists it', async () => {
    const page = await open()
    await page.goto(`${stack.url}/dashboard`)
    // The banner shows once /api/health answered "sandbox".
    await page.getByRole('note').filter({ hasText: 'SANDBOX MODE' }).waitFor()
    await screenshot(page, 'sign-in')
    // The token field has the focus on arrival; a wrong token is refused where it was typed.
    await page.keyboard.type('not-a-token')
    await page.keyboard.press('Enter')
    await textOf(page, 'form.sign-in [role=alert]', text => text.startsWith('Sign-in failed:'), 'the refusal')
    await page.keyboard.press('Control+A')
    await page.keyboard.type(admin)
    await page.keyboard.press('Enter')
    await page.getByRole('heading', { name: 'Sessions' }).waitFor()
    await tabTo(page, 'Session id (optional)')
    await page.keyboard.type('keyboard')
    await tabTo(page, 'Create session')
    await page.keyboard.press('Enter')
    await page.waitForURL(/#\/sessions\/keyboard\/link$/)
    const linked = await connected('keyboard')
    await textOf(page, '#link-status', text => text === `Connected as +${linked.phoneNumber}`, 'the link view to say connected')
    await tabTo(page, 'Sessions')
    await page.keyboard.press('Enter')
    await textOf(page, '[data-session="keyboard"] .badge', text => text === 'connected', 'the keyboard session listed as connected')
    // Bulk restart: tick the session with Space, then press "Restart selected".
    await tabTo(page, 'Select keyboard')
    assert.equal(await page.evaluate("document.activeElement?.closest('[data-session]')?.getAttribute('data-session')"), 'keyboard')
    await page.keyboard.press('Space')
    await tabTo(page, 'Restart selected')
    const restarted = page.waitForResponse(
      response => response.request().method() === 'PUT' && new URL(response.url()).pathname === '/api/sessions/keyboard/restart'
    )
    await page.keyboard.press('Enter')
    assert.equal((await restarted).status(), 200)
    await textOf(page, '[data-session="keyboard"] .badge', text => text === 'connected', 'the keyboard session connected again')
    assert.ok(!page.url().includes(admin), 'the token is not in the URL')
    assert.equal(await page.evaluate('sessionStorage.length'), 1, 'the token is kept in sessionStorage')
  })

  it('creates a session and watches it link on the QR view', async () => {
    const page = await open()
    await signIn(page, stack.url, admin)
    await page.getByLabel('Session id (optional)').fill('front-desk')
    await page.getByLabel('Device label (optional)').fill('Front desk PC')
    await page.getByRole('button', { name: 'Create session' }).click()
    await page.waitForURL(/#\/sessions\/front-desk\/link$/)
    await screenshot(page, 'link')
    const linked = await connected('front-desk')
    await textOf(page, '#link-status', text => text === `Connected as +${linked.phoneNumber}`, 'the link view to say connected')
    await page.getByRole('link', { name: 'Sessions' }).click()
    const card = page.locator('[data-session="front-desk"]')
    await textOf(page, '[data-session="front-desk"] .badge', text => text === 'connected', 'front-desk connected in the list')
    assert.match(await card.innerText(), new RegExp(`\\+${linked.phoneNumber}[\\s\\S]*Front desk PC`))
    await screenshot(page, 'sessions')
  })

  it('shows a dead letter and replays it to the receiver', async () => {
    const created = await api<{ webhook: { secret: string } }>('POST', '/api/sessions/create', {
      sessionId: 'hooked',
      webhook: { url: receiver.url, events: ['message.received'] }
    })
    assert.equal(created.status, 201)
    receiver.setSecret(created.data.webhook.secret)
    await connected('hooked')
    receiver.state.down = true
    assert.equal((await api('POST', '/api/sandbox/inbound', { sessionId: 'hooked', from: '081234567890', text: 'into the void' })).status, 201)
    const letter = await until(async () => {
      const letters = await api<{ eventId: string; sessionId: string }[]>('GET', '/api/webhooks/dead-letters')
      return letters.data.find(l => l.sessionId === 'hooked')
    }, 'a dead letter')

    const page = await open()
    await signIn(page, stack.url, admin)
    await page.getByRole('link', { name: 'Webhooks' }).click()
    const card = page.locator(`#dead-letters [data-event="${letter.eventId}"]`)
    await card.waitFor()
    assert.match(await card.innerText(), /message\.received · hooked[\s\S]*HTTP 503/)
    await screenshot(page, 'webhooks')
    receiver.state.down = false
    await page.getByRole('button', { name: `Replay ${letter.eventId}` }).click()
    await textOf(page, `[data-event="${letter.eventId}"] [role=status]`, text => text === 'Queued again', 'the replay to be queued')
    const delivered = await receiver.waitFor(received => received.find(event => event.id === letter.eventId), 'the replayed event')
    assert.equal(delivered.data.text, 'into the void')
    await until(async () => ((await card.count()) === 0 ? true : undefined), 'the dead letter to leave the list')
  })

  it('shows a token limited to one session only that session', async () => {
    await connected('front-desk')
    assert.ok((await api<{ total: number }>('GET', '/api/sessions')).data.total >= 3, 'the admin sees more sessions')
    const page = await open()
    await signIn(page, stack.url, await token(['sessions:read', 'sessions:write'], ['front-desk']))
    await page.locator('[data-session]').first().waitFor()
    assert.deepEqual(await page.locator('[data-session]').evaluateAll(cards => cards.map(card => card.getAttribute('data-session'))), ['front-desk'])
    await page.getByRole('link', { name: 'Webhooks' }).click()
    await textOf(page, '#dead-letters', text => text === 'No dead letters.', "no other session's dead letters")
  })

  it('fits every screen in 360 px without scrolling sideways', async () => {
    const page = await open()
    await page.setViewportSize({ width: 360, height: 760 })
    await signIn(page, stack.url, admin)
    for (const [hash, name] of [
      ['#/sessions', 'sessions-360'],
      ['#/sessions/front-desk', 'session-detail-360'],
      ['#/sessions/front-desk/link', 'link-360'],
      ['#/messages', 'messages-360'],
      ['#/otps', 'otps-360'],
      ['#/webhooks', 'webhooks-360'],
      ['#/events', 'events-360'],
      ['#/funnel', 'funnel-360']
    ] as const) {
      await page.evaluate(`location.hash = ${JSON.stringify(hash)}`)
      await page.locator('main h1').waitFor()
      // Each screen fills in from the API after its heading; give it a moment to draw.
      await page.waitForTimeout(500)
      assert.ok((await page.evaluate<number>('document.documentElement.scrollWidth')) <= 360, `${hash} fits in 360 px`)
      await screenshot(page, name)
    }
  })

  it('made no request off the machine, broke no policy and logged no token', () => {
    assert.deepEqual(browser.outside, [])
    for (const { violations } of pages) assert.deepEqual(violations, [])
    assert.ok(pages.length >= 4)
    assert.ok(!capturedLogs.join('').includes(admin), 'the token is in no log')
  })
})
