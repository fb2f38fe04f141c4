import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { startInProcessStack } from '../support/in-process-stack.ts'
import { recordSensitive } from '../support/log-audit.ts'
import { startWebhookReceiver } from '../support/webhook-receiver.ts'
import { until } from '../support/until.ts'

type Stack = Awaited<ReturnType<typeof startInProcessStack>>
type Otp = { otpId: string; messageId: string; status: string }
type Message = { messageId: string; status: string }

const ACCOUNT = '6281300000100'
const DAY_MS = 24 * 60 * 60 * 1000

/**
 * What happens with time, through gateway, host and real Baileys on the emulator, on the stack's
 * movable clock: OTPs expire by themselves (with one `otp.status` event), Idempotency-Keys stop
 * counting after 24 hours.
 */
describe('OTP expiry and Idempotency-Key retention', () => {
  let stack: Stack
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>
  let admin: string

  const post = async <T>(path: string, body: unknown, key?: string): Promise<{ status: number; data: T }> => {
    const response = await stack.gateway.request(path, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
      body: JSON.stringify(body)
    })
    return { status: response.status, data: ((await response.json()) as { data: T }).data }
  }
  const otpEvents = (otpId: string) => receiver.state.verified.filter(e => e.type === 'otp.status' && e.data.otpId === otpId)
  /** Events of a session arrive in order: once this later one is in, any earlier one is too. */
  const fence = async () => {
    const marker = await post<Otp>('/api/messages/shop/otp', { to: `08133300${String(Math.floor(Math.random() * 1e4)).padStart(4, '0')}` })
    const copy = await stack.sim.waitForSent(m => m.id === marker.data.messageId)
    stack.sim.sendReceipt(copy, 'delivery')
    await receiver.waitFor(
      r => r.find(e => e.type === 'otp.status' && e.data.otpId === marker.data.otpId && e.data.delivery === 'delivered'),
      'the fence event'
    )
  }

  before(async () => {
    // Sends to many new numbers back to back: the send governor would pace them, so it is off here.
    stack = await startInProcessStack({ hostEnv: { SEND_GOVERNOR: 'off' } })
    receiver = await startWebhookReceiver()
    // Outlives every advanceClock below.
    admin = await stack.token('admin', { ttlSeconds: 3 * 24 * 60 * 60 })
    const created = (await stack.linkSession('shop', ACCOUNT, { webhook: { url: receiver.url, events: ['otp.status'] } })) as { webhook: { secret: string } }
    receiver.setSecret(created.webhook.secret)
  })
  after(async () => {
    await stack?.stop()
    await receiver?.stop()
  })

  it('expires an OTP past its TTL by itself, with one otp.status "expired" event, and verifying it later still says expired', async () => {
    const sent = await post<Otp>('/api/messages/shop/otp', { to: '081333000001', ttlSeconds: 60 })
    assert.equal(sent.status, 201)
    const otp = sent.data
    await stack.sim.waitForSent(m => m.id === otp.messageId)
    stack.advanceClock(61_000)

    // Nobody reads or verifies it: the host's periodic sweep (every 5 s) expires it.
    const event = await receiver.waitFor(
      r => r.find(e => e.type === 'otp.status' && e.data.otpId === otp.otpId && e.data.status === 'expired'),
      'otp.status expired'
    )
    assert.deepEqual(event.data, { sessionId: 'shop', otpId: otp.otpId, messageId: otp.messageId, status: 'expired', delivery: 'sent' })

    const read = await stack.call('GET', `/api/otp/${otp.otpId}`, { token: admin })
    assert.equal((read.body.data as Otp).status, 'expired')
    const verified = await post<{ valid: boolean; status: string }>('/api/otp/verify', { otpId: otp.otpId, code: '123456' })
    assert.equal(verified.status, 200)
    assert.deepEqual([verified.data.valid, verified.data.status], [false, 'expired'])
    stack.sweep()
    await fence()
    assert.deepEqual(
      otpEvents(otp.otpId).map(e => e.data.status),
      ['expired']
    )
  })

  it('expires an OTP that a verify notices first, with one event, which the sweep does not repeat', async () => {
    const otp = (await post<Otp>('/api/messages/shop/otp', { to: '081333000002', ttlSeconds: 60 })).data
    await stack.sim.waitForSent(m => m.id === otp.messageId)
    stack.advanceClock(61_000)
    const verified = await post<{ valid: boolean; status: string }>('/api/otp/verify', { otpId: otp.otpId, code: '123456' })
    assert.deepEqual([verified.data.valid, verified.data.status], [false, 'expired'])
    stack.sweep()
    assert.equal((await stack.call('GET', `/api/otp/${otp.otpId}`, { token: admin }).then(r => r.body.data as Otp)).status, 'expired')
    await fence()
    assert.deepEqual(
      otpEvents(otp.otpId).map(e => [e.data.status, e.data.messageId]),
      [['expired', otp.messageId]]
    )
  })

  it('speaks one OTP vocabulary: approved (never "verified") in events, "already used" on a second verify, 409 OTP_NOT_PENDING on cancelling it', async () => {
    recordSensitive('482913')
    const approved = (await post<Otp>('/api/messages/shop/otp', { to: '081333000020', code: '482913' })).data
    await stack.sim.waitForSent(m => m.id === approved.messageId)
    const first = await stack.gateway.request('/api/otp/verify', {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ otpId: approved.otpId, code: '482913' })
    })
    assert.equal(((await first.json()) as { message: string }).message, 'Code approved')
    const again = (await (
      await stack.gateway.request('/api/otp/verify', {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: JSON.stringify({ otpId: approved.otpId, code: '482913' })
      })
    ).json()) as { message: string; data: { valid: boolean; status: string } }
    assert.deepEqual([again.message, again.data.valid, again.data.status], ['This code was already used', false, 'approved'])
    const cancel = await stack.call('POST', `/api/otp/${approved.otpId}/cancel`, { token: admin })
    assert.equal(cancel.status, 409)
    assert.equal(cancel.body.error.code, 'OTP_NOT_PENDING')
    assert.deepEqual(cancel.body.error.details, { status: 'approved' })
    assert.equal(
      ((await stack.call('GET', `/api/otp/${approved.otpId}`, { token: admin })).body.data as Otp).status,
      'approved',
      'a refused cancel changes nothing'
    )

    const canceled = (await post<Otp>('/api/messages/shop/otp', { to: '081333000021' })).data
    assert.equal((await stack.call('POST', `/api/otp/${canceled.otpId}/cancel`, { token: admin })).status, 200)
    const locked = (await post<Otp>('/api/messages/shop/otp', { to: '081333000022', code: '135790' })).data
    recordSensitive('135790')
    for (let i = 0; i < 5; i++) await post('/api/otp/verify', { otpId: locked.otpId, code: '000000' })
    await fence()
    assert.deepEqual(
      otpEvents(approved.otpId).map(e => e.data.status),
      ['approved']
    )
    assert.deepEqual(
      otpEvents(canceled.otpId).map(e => e.data.status),
      ['canceled']
    )
    assert.deepEqual(
      otpEvents(locked.otpId).map(e => e.data.status),
      ['max_attempts_reached']
    )
    const vocabulary = new Set(['pending', 'approved', 'expired', 'max_attempts_reached', 'canceled', 'failed'])
    assert.ok(receiver.state.verified.filter(e => e.type === 'otp.status').every(e => vocabulary.has(String(e.data.status))))
  })

  it('answers a repeated Idempotency-Key with the first message for 24 hours, then sends anew', async () => {
    const body = { to: '081333000010', text: 'your order shipped' }
    const first = await post<Message>('/api/messages/shop/text', body, 'ship-77')
    assert.equal(first.status, 200)
    stack.advanceClock(DAY_MS - 60_000)
    stack.sweep()
    const within = await post<Message>('/api/messages/shop/text', body, 'ship-77')
    assert.equal(within.data.messageId, first.data.messageId)

    stack.advanceClock(60_000)
    stack.sweep()
    const later = await post<Message>('/api/messages/shop/text', body, 'ship-77')
    assert.notEqual(later.data.messageId, first.data.messageId)
    await stack.sim.waitForSent(m => m.id === later.data.messageId)
    assert.equal(stack.sim.sent.filter(m => m.to.startsWith('6281333000010@')).length, 2)
    // The key now stands for the new message.
    const again = await post<Message>('/api/messages/shop/text', body, 'ship-77')
    assert.equal(again.data.messageId, later.data.messageId)
    // The first message is still readable; only its key is forgotten.
    assert.equal((await stack.call('GET', `/api/messages/shop/${first.data.messageId}`, { token: admin })).status, 200)
  })
})

describe('WhatsApp restrictions on the session status', () => {
  const RESTRICTED = '6281300000200'
  let stack: Stack
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>
  let admin: string
  type Status = {
    sessionId: string
    status: string
    phoneNumber: string | null
    restriction: { kind: string; until: string | null; enforcement: string | null } | null
  }
  const status = async () => (await stack.call('GET', '/api/sessions/shop-r/status', { token: admin })).body.data as Status

  before(async () => {
    stack = await startInProcessStack()
    receiver = await startWebhookReceiver()
    admin = await stack.token('admin')
    const created = (await stack.linkSession('shop-r', RESTRICTED, { webhook: { url: receiver.url, events: ['session.status'] } })) as {
      webhook: { secret: string }
    }
    receiver.setSecret(created.webhook.secret)
  })
  after(async () => {
    await stack?.stop()
    await receiver?.stop()
  })

  it('shows the reach-out time-lock WhatsApp pushes on the status and in session.status, and drops it when lifted', async () => {
    const connected = await receiver.waitFor(r => r.find(e => e.data.status === 'connected'), 'session.status connected')
    assert.equal(connected.data.restriction, null)
    assert.equal((await status()).restriction, null)

    const ends = new Date(Math.floor(Date.now() / 1000) * 1000 + 3_600_000)
    stack.sim.setReachoutTimelock(RESTRICTED, { until: ends, enforcement: 'BIZ_QUALITY' })
    const expected = { kind: 'reachout_timelock', until: ends.toISOString(), enforcement: 'BIZ_QUALITY' }
    const restricted = await until(async () => ((await status()).restriction ? status() : undefined), 'restriction on the status')
    assert.deepEqual(
      { sessionId: restricted.sessionId, status: restricted.status, phoneNumber: restricted.phoneNumber, restriction: restricted.restriction },
      { sessionId: 'shop-r', status: 'connected', phoneNumber: RESTRICTED, restriction: expected }
    )
    const event = await receiver.waitFor(r => r.find(e => e.data.restriction !== null), 'session.status with the restriction')
    assert.deepEqual(event.data, { sessionId: 'shop-r', status: 'connected', phoneNumber: RESTRICTED, restriction: expected, reason: null })

    stack.sim.setReachoutTimelock(RESTRICTED, undefined)
    await until(async () => ((await status()).restriction === null ? true : undefined), 'restriction lifted on the status')
    const lifted = await receiver.waitFor(r => r.find((e, i) => i > r.indexOf(event) && e.data.restriction === null), 'session.status after the lift')
    assert.equal(lifted.data.status, 'connected')
  })

  it('reads the time-lock after WhatsApp refuses a message with 463', async () => {
    const ends = new Date(Math.floor(Date.now() / 1000) * 1000 + 7_200_000)
    // The server's state only: no push, so the status can learn it only by asking.
    stack.sim.setReachoutTimelock(RESTRICTED, { until: ends }, { push: false })
    stack.sim.refuseMessagesTo('6281300009999', '463')
    const sent = await stack.call('POST', '/api/messages/shop-r/text', { token: admin, body: { to: '081300009999', text: 'hello new chat' } })
    assert.equal(sent.status, 200)
    const restricted = await until(async () => (await status()).restriction ?? undefined, 'restriction read after the 463')
    assert.deepEqual(restricted, { kind: 'reachout_timelock', until: ends.toISOString(), enforcement: 'DEFAULT' })

    // Another refusal reads the same lock again: no news, so no second session.status event. The
    // lift that follows is one, and arrives after anything the second read could have caused.
    const again = await stack.call('POST', '/api/messages/shop-r/text', { token: admin, body: { to: '081300009999', text: 'hello again' } })
    await until(
      async () =>
        (
          (await stack.call('GET', `/api/messages/shop-r/${(again.body.data as { messageId: string }).messageId}`, { token: admin })).body.data as {
            status: string
          }
        ).status === 'failed' || undefined,
      'second refusal'
    )
    stack.sim.setReachoutTimelock(RESTRICTED, undefined)
    const isThisLock = (e: { data: Record<string, unknown> }) => (e.data.restriction as { until?: string } | null)?.until === ends.toISOString()
    // Wait for the lock's own event first: under load it can arrive after the 463 answer, and
    // slice(-1) of a list without it would take an earlier event with no restriction for the lift.
    const lifted = await receiver.waitFor(r => {
      const lock = r.findIndex(isThisLock)
      return lock < 0 ? undefined : r.slice(lock).find(e => e.data.restriction === null)
    }, 'the lift')
    const sinceLock = receiver.state.verified.slice(receiver.state.verified.findIndex(isThisLock))
    assert.deepEqual(
      sinceLock.map(e => (e.data.restriction as { until?: string } | null)?.until ?? null),
      [ends.toISOString(), null]
    )
    assert.equal(sinceLock[1], lifted)
    stack.sim.refuseMessagesTo('6281300009999', undefined)
  })

  it('reads the time-lock again on every connection, so a restarted host does not forget it', async () => {
    assert.equal((await status()).restriction, null)
    const ends = new Date(Math.floor(Date.now() / 1000) * 1000 + 1_800_000)
    // WhatsApp's state changes without a push while the session is away.
    stack.sim.setReachoutTimelock(RESTRICTED, { until: ends }, { push: false })
    stack.sim.dropAll()
    const restricted = await until(async () => {
      const now = await status()
      return now.status === 'connected' && now.restriction ? now.restriction : undefined
    }, 'restriction read on reconnect')
    assert.deepEqual(restricted, { kind: 'reachout_timelock', until: ends.toISOString(), enforcement: 'DEFAULT' })
  })
})

describe('deleting a session', () => {
  it('deletes it with its history, and says what went with it never done: unsent messages, pending OTPs, undelivered webhooks', async () => {
    // 0408 is never acknowledged, so its messages stay `sending` and its OTP pending.
    const stack = await startInProcessStack({ magicNumbers: true, hostEnv: { SEND_GOVERNOR: 'off' } })
    const receiver = await startWebhookReceiver()
    try {
      const admin = await stack.token('admin')
      const created = (await stack.linkSession('doomed', '6281300000700', { webhook: { url: receiver.url } })) as { webhook: { secret: string } }
      receiver.setSecret(created.webhook.secret)
      await receiver.waitFor(r => r.find(e => e.type === 'session.status' && e.data.status === 'connected'), 'connected, delivered')
      receiver.state.down = true
      const text = await stack.call('POST', '/api/messages/doomed/text', { token: admin, body: { to: '081300000408', text: 'never acked' } })
      const otp = await stack.call('POST', '/api/messages/doomed/otp', { token: admin, body: { to: '081300010408' } })
      assert.deepEqual([text.status, otp.status], [200, 201])
      const messageId = (text.body.data as Message).messageId
      await until(async () => (stack.sim.sent.some(m => m.id === messageId) ? true : undefined), 'the text went out, unacked')

      const deleted = await stack.call('DELETE', '/api/sessions/doomed', { token: admin })
      assert.equal(deleted.status, 200)
      const { sessionId, discarded } = deleted.body.data as { sessionId: string; discarded: { messages: number; otps: number; webhookDeliveries: number } }
      assert.equal(sessionId, 'doomed')
      assert.deepEqual([discarded.messages, discarded.otps], [2, 1], 'the text and the OTP message unsent, the OTP pending')
      assert.ok(discarded.webhookDeliveries >= 1, `the receiver was down: ${discarded.webhookDeliveries} deliveries pending`)
      assert.equal((await stack.call('GET', `/api/messages/doomed/${messageId}`, { token: admin })).status, 404)
      assert.equal((await stack.call('GET', `/api/otp/${(otp.body.data as Otp).otpId}`, { token: admin })).status, 404)
    } finally {
      await stack.stop()
      await receiver.stop()
    }
  })
})
