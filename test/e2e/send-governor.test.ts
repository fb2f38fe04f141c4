import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { generateWebhookSecret } from '../../gateway/webhooks/standard-webhooks.ts'
import { startInProcessStack } from '../support/in-process-stack.ts'
import { recordSensitive } from '../support/log-audit.ts'
import { startWebhookReceiver } from '../support/webhook-receiver.ts'

type Stack = Awaited<ReturnType<typeof startInProcessStack>>
type Governor = {
  enabled: boolean
  newChatsToday: number
  dailyCap: number
  nextNewChatAt: string | null
  refusalsInRow: number
  paused: { since: string; until: string; reason: string } | null
  whatsappCap: { total: number | null; used: number | null; cycleEndsAt: string | null; status: string | null } | null
}

let numbers = 0
/** A new contact each time (the emulator makes every well-formed number a contact). */
const stranger = () => `6281277${String(++numbers).padStart(6, '0')}`

/**
 * The send governor, through the public API, on real Baileys sessions against the emulator, with
 * the host's clock injected (the stack's advanceClock). The host runs with the governor's defaults
 * except where a test says otherwise, as an operator would write them.
 */
describe('the send governor protects the number', () => {
  let stack: Stack
  let admin: string
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>
  before(async () => {
    receiver = await startWebhookReceiver()
    // A 60 s mean gap (30–90 s once jittered) and a first-day cap of 3 new chats.
    stack = await startInProcessStack({ hostEnv: { SEND_GOVERNOR_GAP_MS: '60000', SEND_GOVERNOR_NEW_CHATS_START: '3', SEND_GOVERNOR_BREAKER_463: '3' } })
    admin = await stack.token('admin', { ttlSeconds: 7 * 86_400 })
  })
  // The host's clock, which tests move forward.
  let offsetMs = 0
  const hostNow = () => Date.now() + offsetMs
  const advance = (ms: number) => {
    offsetMs = stack.advanceClock(ms)
  }
  after(async () => {
    await stack?.stop()
    await receiver?.stop()
  })

  const text = (sessionId: string, to: string) =>
    stack.call('POST', `/api/messages/${sessionId}/text`, { token: admin, body: { to: `+${to}`, text: 'Your order shipped' } })
  const otp = (sessionId: string, to: string) => stack.call('POST', `/api/messages/${sessionId}/otp`, { token: admin, body: { to: `+${to}` } })
  const governor = async (sessionId: string) => (await stack.call('GET', `/api/sessions/${sessionId}/governor`, { token: admin })).body.data as Governor
  const received = (to: string) => stack.sim.sent.filter(m => m.to === `${to}@s.whatsapp.net` && m.decrypted.length > 0)

  // First: webhook receivers check the delivery's timestamp, which later tests move on.
  it('pauses new chats after 463 refusals in a row, says so in a session.status event, and resumes on request', async () => {
    // The operator's own secret, so the receiver checks every event from the first.
    const secret = generateWebhookSecret()
    recordSensitive(secret)
    receiver.setSecret(secret)
    await stack.linkSession('breaker', '15550300004', { webhook: { url: receiver.url, events: ['session.status'], secret } })
    await stack.call('PUT', '/api/sessions/breaker/governor', { token: admin, body: { settings: { newChatGapSeconds: 0 } } })
    for (let i = 0; i < 3; i++) {
      const to = stranger()
      stack.sim.refuseMessagesTo(to, '463')
      const refused = await text('breaker', to)
      assert.equal(refused.status, 200)
      await waitUntil(async () => (await governor('breaker')).refusalsInRow === i + 1 || (await governor('breaker')).paused !== null, `refusal ${i + 1}`)
    }
    const paused = await governor('breaker')
    assert.ok(paused.paused, JSON.stringify(paused))
    const event = await receiver.waitFor(r => r.find(e => e.type === 'session.status' && e.data.governor), 'the breaker event')
    assert.equal(event.data.status, 'connected')
    assert.deepEqual(Object.keys(event.data.governor as object).sort(), ['newChats', 'reason', 'until'])
    assert.equal((event.data.governor as { newChats: string }).newChats, 'paused')
    assert.match((event.data.governor as { reason: string }).reason, /^whatsapp_refused_463/)

    const to = stranger()
    const refused = await otp('breaker', to)
    assert.equal(refused.status, 429)
    assert.equal(refused.body.error?.code, 'NEW_CHATS_PAUSED')
    assert.equal(received(to).length, 0)

    const resumed = await stack.call('POST', '/api/sessions/breaker/governor/resume', { token: admin })
    assert.equal((resumed.body.data as Governor).paused, null)
    assert.equal((await otp('breaker', to)).status, 201)
  })

  it('paces first messages to new chats with a jittered gap, never an OTP, and not chats it already has', async () => {
    await stack.linkSession('paced', '15550300001')
    const first = stranger()
    assert.equal((await text('paced', first)).status, 200)

    const second = stranger()
    const paced = await text('paced', second)
    assert.equal(paced.status, 429, JSON.stringify(paced.body))
    assert.equal(paced.body.error?.code, 'SEND_PACED')
    assert.equal(paced.body.error?.details?.reason, 'pacing')
    const retryAfter = Number(paced.headers.get('retry-after'))
    assert.ok(retryAfter >= 30 && retryAfter <= 90, `Retry-After ${retryAfter} s is the jittered 60 s gap`)
    assert.equal(received(second).length, 0)

    // An existing chat is not a new one; an OTP is never paced (a user is waiting).
    assert.equal((await text('paced', first)).status, 200)
    const code = stranger()
    const sent = await otp('paced', code)
    assert.equal(sent.status, 201, JSON.stringify(sent.body))
    await stack.sim.waitForSent(m => m.id === (sent.body.data as { messageId: string }).messageId && m.decrypted.length > 0)

    // The OTP counted toward today's new chats and pushed the pacing further on.
    const state = await governor('paced')
    assert.equal(state.newChatsToday, 2)
    assert.ok(state.nextNewChatAt && Date.parse(state.nextNewChatAt) > hostNow() + retryAfter * 1000 - 1000)

    advance(200_000)
    assert.equal((await text('paced', second)).status, 200)
    assert.equal(received(second).length, 1)
  })

  it("caps new chats a day by the account's age, lets OTPs past it, and takes a session's own settings", async () => {
    await stack.linkSession('capped', '15550300002')
    // No gap for this session: only the daily cap is left to stop it.
    const configured = await stack.call('PUT', '/api/sessions/capped/governor', { token: admin, body: { settings: { newChatGapSeconds: 0 } } })
    assert.equal(configured.status, 200, JSON.stringify(configured.body))
    assert.equal((configured.body.data as Governor).dailyCap, 3)

    for (let i = 0; i < 3; i++) assert.equal((await text('capped', stranger())).status, 200)
    const over = await text('capped', stranger())
    assert.equal(over.status, 429)
    assert.equal(over.body.error?.code, 'SEND_PACED')
    assert.equal(over.body.error?.details?.reason, 'daily_cap')
    const retryAt = Date.parse(String(over.body.error?.details?.retryAt))
    assert.equal(new Date(retryAt).toISOString().slice(11), '00:00:00.000Z', 'until the next UTC midnight')

    // OTPs are not held by the host's own cap, but count toward it.
    assert.equal((await otp('capped', stranger())).status, 201)
    assert.equal((await governor('capped')).newChatsToday, 4)

    // A day later the account is older: the cap has grown and the count starts again.
    advance(86_400_000)
    const older = await governor('capped')
    assert.equal(older.dailyCap, 6)
    assert.equal(older.newChatsToday, 0)
    assert.equal((await text('capped', stranger())).status, 200)

    // The session's own cap replaces the grown one; null goes back to the host's defaults.
    await stack.call('PUT', '/api/sessions/capped/governor', { token: admin, body: { settings: { newChatGapSeconds: 0, newChatsPerDay: 1 } } })
    assert.equal((await text('capped', stranger())).body.error?.details?.reason, 'daily_cap')
    const off = await stack.call('PUT', '/api/sessions/capped/governor', { token: admin, body: { settings: { enabled: false } } })
    assert.equal((off.body.data as Governor).enabled, false)
    for (let i = 0; i < 3; i++) assert.equal((await text('capped', stranger())).status, 200, 'not governed')
    const reset = await stack.call('PUT', '/api/sessions/capped/governor', { token: admin, body: { settings: null } })
    assert.equal((reset.body.data as Governor).enabled, true)
  })

  it("respects WhatsApp's own new-chat cap, as the server reports it and as it fills", async () => {
    await stack.linkSession('wa-cap', '15550300003')
    await stack.call('PUT', '/api/sessions/wa-cap/governor', { token: admin, body: { settings: { newChatGapSeconds: 0 } } })
    const cycleEndsAt = new Date(hostNow() + 3_600_000)
    stack.sim.setNewChatCap('15550300003', { total: 2, used: 1, cycleEndsAt })
    await waitUntil(async () => (await governor('wa-cap')).whatsappCap?.total === 2, 'the pushed cap')

    // The last new chat of the cycle goes; the server then reports the cap full.
    const last = await otp('wa-cap', stranger())
    assert.equal(last.status, 201)
    await waitUntil(async () => (await governor('wa-cap')).whatsappCap?.status === 'CAPPED', 'the CAPPED push')

    const refusedOtp = await otp('wa-cap', stranger())
    assert.equal(refusedOtp.status, 429)
    assert.equal(refusedOtp.body.error?.code, 'NEW_CHAT_CAP_REACHED', 'an OTP is refused at once with its own code')
    const retryAfter = Number(refusedOtp.headers.get('retry-after'))
    assert.ok(Math.abs(hostNow() / 1000 + retryAfter - cycleEndsAt.getTime() / 1000) < 5, 'until the cycle ends')
    const refusedText = await text('wa-cap', stranger())
    assert.equal(refusedText.body.error?.code, 'SEND_PACED')
    assert.equal(refusedText.body.error?.details?.reason, 'whatsapp_cap')

    // A restarted session asks for the cap as it connects (no push needed).
    stack.sim.setNewChatCap('15550300003', { total: 50, used: 0, cycleEndsAt }, { push: false })
    await stack.call('PUT', '/api/sessions/wa-cap/restart', { token: admin })
    await waitUntil(async () => (await governor('wa-cap')).whatsappCap?.total === 50, 'the queried cap')
    assert.equal((await otp('wa-cap', stranger())).status, 201)
  })

  it('sends OTPs before the other messages waiting in a session', async () => {
    await stack.linkSession('order', '15550300005')
    await stack.call('PUT', '/api/sessions/order/governor', { token: admin, body: { settings: { enabled: false } } })
    // WhatsApp is out of reach while the messages queue up, so none can go before the OTP is queued.
    stack.sim.outage(true)
    await waitUntil(
      async () => ((await stack.call('GET', '/api/sessions/order/status', { token: admin })).body.data as { status: string }).status !== 'connected',
      'the outage'
    )
    const texts = [stranger(), stranger()]
    for (const to of texts) assert.equal((await text('order', to)).status, 200)
    const code = stranger()
    const sent = await otp('order', code)
    assert.equal(sent.status, 201)
    stack.sim.outage(false)
    await stack.sim.waitForSent(m => m.to === `${texts[1]}@s.whatsapp.net`, 20_000)
    const order = stack.sim.sent.filter(m => [...texts, code].some(to => m.to === `${to}@s.whatsapp.net`)).map(m => m.to.split('@')[0])
    assert.deepEqual(order, [code, ...texts])
  })
})

describe('SEND_GOVERNOR=off', () => {
  let stack: Stack
  before(async () => {
    stack = await startInProcessStack({ hostEnv: { SEND_GOVERNOR: 'off' } })
  })
  after(() => stack?.stop())

  it('lets first messages to new chats go back to back', async () => {
    await stack.linkSession('free', '15550300010')
    const admin = await stack.token('admin')
    for (let i = 0; i < 5; i++) {
      const sent = await stack.call('POST', '/api/messages/free/text', { token: admin, body: { to: `+${stranger()}`, text: 'hello' } })
      assert.equal(sent.status, 200, JSON.stringify(sent.body))
    }
    assert.equal(((await stack.call('GET', '/api/sessions/free/governor', { token: admin })).body.data as Governor).enabled, false)
  })
})

const waitUntil = async (check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  throw new Error(`timed out waiting for ${what}`)
}
