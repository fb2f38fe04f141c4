import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { startInProcessStack } from '../support/in-process-stack.ts'
import { startWebhookReceiver } from '../support/webhook-receiver.ts'

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
    await receiver.waitFor(r => r.find(e => e.type === 'otp.status' && e.data.otpId === marker.data.otpId && e.data.status === 'delivered'), 'the fence event')
  }

  before(async () => {
    stack = await startInProcessStack()
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
    const event = await receiver.waitFor(r => r.find(e => e.type === 'otp.status' && e.data.otpId === otp.otpId && e.data.status === 'expired'), 'otp.status expired')
    assert.deepEqual(event.data, { sessionId: 'shop', otpId: otp.otpId, messageId: otp.messageId, status: 'expired' })

    const read = await stack.call('GET', `/api/otp/${otp.otpId}`, { token: admin })
    assert.equal((read.body.data as Otp).status, 'expired')
    const verified = await post<{ valid: boolean; status: string }>('/api/otp/verify', { otpId: otp.otpId, code: '123456' })
    assert.equal(verified.status, 200)
    assert.deepEqual([verified.data.valid, verified.data.status], [false, 'expired'])
    stack.sweep()
    await fence()
    assert.deepEqual(otpEvents(otp.otpId).map(e => e.data.status), ['expired'])
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
    assert.deepEqual(otpEvents(otp.otpId).map(e => [e.data.status, e.data.messageId]), [['expired', otp.messageId]])
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
