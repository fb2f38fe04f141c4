import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { codesIn, recordCodesSent, recordSensitive } from '../support/log-audit.ts'
import { mediaSamples } from '../support/media-fixtures.ts'
import { startProcessStack } from '../support/process-stack.ts'
import type { ProcessStack } from '../support/process-stack.ts'
import { startWebhookReceiver } from '../support/webhook-receiver.ts'
import { until } from '../support/until.ts'

type Message = { messageId: string; status: string; error: string | null; otpId: string | null; deliveredAt: string | null; readAt: string | null }
type Otp = {
  otpId: string
  messageId: string
  status: string
  delivery?: { status: string; error: string | null; sentAt: string | null; deliveredAt: string | null; readAt: string | null; failedAt: string | null } | null
}

const ACCOUNT = '6281200000100'

/**
 * Delivery guarantees through the gateway and host processes, with real Baileys on the emulator
 * and a receiver built on the `standardwebhooks` package: acks and receipts drive each message's
 * status, refusals fail it, sends wait out a session's outage, and a repeated key sends once.
 */
describe('delivery status, refusals, queued sends and idempotency', () => {
  let stack: ProcessStack
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>

  const post = (path: string, body: unknown, key?: string) => stack.call('POST', path, { body, ...(key ? { headers: { 'idempotency-key': key } } : {}) })
  const get = <T>(path: string): Promise<T> => stack.data<T>(path)
  const recipientCopies = (messageId: string) => stack.sim.sent.filter(m => m.id === messageId && !m.refusedWith && !m.duplicate)

  before(async () => {
    // This file follows many messages to new numbers through the queue: the send governor would
    // pace them (test/e2e/send-governor.test.ts covers it), so it is off here.
    stack = await startProcessStack({ SEND_GOVERNOR: 'off' })
    receiver = await startWebhookReceiver()
    const created = (await stack.linkSession('shop', ACCOUNT, { webhook: { url: receiver.url, events: ['message.status', 'otp.status'] } })) as {
      webhook: { secret: string }
    }
    receiver.setSecret(created.webhook.secret)
  })
  after(async () => {
    await stack?.stop()
    await receiver?.stop()
  })

  it('moves a message to delivered then read from receipts, by API and by message.status events', async () => {
    const sent = (await post('/api/messages/shop/text', { to: '081234560001', text: 'receipts please' })).body.data as Message
    assert.equal(sent.status, 'sent')
    const copy = await stack.sim.waitForSent(m => m.id === sent.messageId)
    stack.sim.sendReceipt(copy, 'delivery')
    const delivered = await until(async () => {
      const view = await get<Message>(`/api/messages/shop/${sent.messageId}`)
      return view.status === 'delivered' ? view : undefined
    }, 'delivered')
    assert.ok(delivered.deliveredAt)
    stack.sim.sendReceipt(copy, 'read')
    const read = await until(async () => {
      const view = await get<Message>(`/api/messages/shop/${sent.messageId}`)
      return view.status === 'read' ? view : undefined
    }, 'read')
    assert.ok(read.readAt)
    const statuses = await receiver.waitFor(r => {
      const mine = r.filter(e => e.type === 'message.status' && e.data.messageId === sent.messageId).map(e => e.data.status)
      return mine.includes('read') ? mine : undefined
    }, 'message.status read')
    assert.deepEqual(statuses, ['sent', 'delivered', 'read'])

    // An OTP shows its message's progress too, and says it by an otp.status event in the OTP
    // vocabulary: the OTP is still pending, its message delivered.
    const otp = (await post('/api/messages/shop/otp', { to: '081234560011' })).body.data as Otp
    // The send answers in the same words: the OTP pending, its message sent (acknowledged).
    assert.deepEqual([otp.status, otp.delivery?.status, 'messageStatus' in otp], ['pending', 'sent', false])
    const otpCopy = await stack.sim.waitForSent(m => m.id === otp.messageId)
    stack.sim.sendReceipt(otpCopy, 'delivery')
    const otpDelivered = await until(async () => {
      const view = await get<Otp>(`/api/otp/${otp.otpId}`)
      return view.delivery?.status === 'delivered' ? view : undefined
    }, 'OTP delivered')
    assert.equal(otpDelivered.status, 'pending')
    assert.ok(otpDelivered.delivery?.sentAt && otpDelivered.delivery.deliveredAt)
    assert.equal(otpDelivered.delivery.readAt, null)
    const otpEvent = await receiver.waitFor(
      r => r.find(e => e.type === 'otp.status' && e.data.otpId === otp.otpId && e.data.delivery === 'delivered'),
      'otp.status delivered'
    )
    assert.deepEqual(otpEvent.data, { sessionId: 'shop', otpId: otp.otpId, messageId: otp.messageId, status: 'pending', delivery: 'delivered' })

    const unknown = await stack.call('GET', '/api/messages/shop/3EB0FFFFFFFFFFFFFFFF')
    assert.equal(unknown.body.error.code, 'MESSAGE_NOT_FOUND')
  })

  it('fails a message WhatsApp refuses with 463, and its OTP, never delivered', async () => {
    stack.sim.refuseMessagesTo('6281234560002', '463')
    const response = await post('/api/messages/shop/otp', { to: '081234560002' })
    assert.equal(response.status, 201)
    const otp = response.body.data as Otp
    const failed = await until(async () => {
      const view = await get<Message>(`/api/messages/shop/${otp.messageId}`)
      return view.status === 'failed' ? view : undefined
    }, 'message failed')
    assert.match(failed.error ?? '', /^whatsapp_refused_463/)
    const failedOtp = await get<Otp>(`/api/otp/${otp.otpId}`)
    assert.equal(failedOtp.status, 'failed')
    assert.equal(failedOtp.delivery?.status, 'failed')
    assert.match(failedOtp.delivery?.error ?? '', /^whatsapp_refused_463/)
    assert.ok(failedOtp.delivery?.failedAt)
    const events = await receiver.waitFor(r => {
      const otpEvent = r.find(e => e.type === 'otp.status' && e.data.otpId === otp.otpId)
      return otpEvent ? r.filter(e => e.data.messageId === otp.messageId || e.data.otpId === otp.otpId) : undefined
    }, 'otp.status failed')
    assert.deepEqual(
      events.map(e => [e.type, e.data.status, e.data.delivery]),
      [
        ['message.status', 'failed', undefined],
        ['otp.status', 'failed', 'failed']
      ]
    )
    assert.match(String(events[1]?.data.reason), /463/)
    assert.equal(recipientCopies(otp.messageId).length, 0)
    stack.sim.refuseMessagesTo('6281234560002', undefined)
  })

  it("fails a message that cannot be sent on a live connection after a few tries, and the session's next message goes out", async () => {
    // This emulator serves no media: every upload to WhatsApp's media hosts fails.
    const form = new FormData()
    form.append('to', '081234560041')
    form.append('image', new Blob([(await mediaSamples()).image.bytes], { type: 'image/png' }), 'a.png')
    const upload = await fetch(`${stack.url}/api/messages/shop/image`, { method: 'POST', headers: { authorization: `Bearer ${stack.admin}` }, body: form })
    assert.equal(upload.status, 200)
    const { messageId } = ((await upload.json()) as { data: Message }).data
    const text = await post('/api/messages/shop/text', { to: '081234560042', text: 'behind the image' })
    const failed = await until(async () => {
      const view = await get<Message>(`/api/messages/shop/${messageId}`)
      return view.status === 'failed' ? view : undefined
    }, 'the image failed')
    assert.match(failed.error ?? '', /^send_failed: /)
    const copy = await stack.sim.waitForSent(m => m.id === (text.body.data as Message).messageId)
    assert.equal(copy.decrypted.find(d => d.jid.startsWith('6281234560042'))?.message.extendedTextMessage?.text, 'behind the image')
  })

  it('queues a send made right after a restart of the linked session, and sends it once the session is back', async () => {
    const restarted = await stack.call('PUT', '/api/sessions/shop/restart')
    assert.equal(restarted.status, 200)
    const response = await post('/api/messages/shop/text', { to: '081234560031', text: 'sent while restarting' })
    assert.equal(response.status, 200, JSON.stringify(response.body))
    const { messageId } = response.body.data as Message
    const copy = await stack.sim.waitForSent(m => m.id === messageId, 15_000)
    assert.equal(copy.decrypted.find(d => d.jid.startsWith('6281234560031'))?.message.extendedTextMessage?.text, 'sent while restarting')
    assert.equal((await stack.data<{ status: string; phoneNumber: string }>('/api/sessions/shop/status')).phoneNumber, ACCOUNT)
  })

  it('sends once for a repeated Idempotency-Key, and refuses another body under it with 422', async () => {
    const body = { to: '081234560003', text: 'only once' }
    const first = (await post('/api/messages/shop/text', body, 'order-42')).body.data as Message
    const again = await post('/api/messages/shop/text', body, 'order-42')
    assert.equal(again.status, 200)
    assert.equal((again.body.data as Message).messageId, first.messageId)
    const other = await post('/api/messages/shop/text', { ...body, text: 'something else' }, 'order-42')
    assert.equal(other.status, 422)
    assert.equal(other.body.error.code, 'IDEMPOTENCY_KEY_REUSED')

    const otpFirst = (await post('/api/messages/shop/otp', { to: '081234560004' }, 'login-7')).body.data as Otp
    const otpAgain = (await post('/api/messages/shop/otp', { to: '081234560004' }, 'login-7')).body.data as Otp
    assert.equal(otpAgain.otpId, otpFirst.otpId)
    await stack.sim.waitForSent(m => m.id === otpFirst.messageId)
    const toRecipient = (pn: string) => stack.sim.sent.filter(m => m.to.startsWith(`${pn}@`))
    assert.equal(toRecipient('6281234560003').length, 1)
    assert.equal(toRecipient('6281234560004').length, 1)
    recordCodesSent(toRecipient('6281234560004'))
  })

  it('holds 20 OTPs through an outage and sends them after the reconnect; one past its TTL fails', async () => {
    stack.sim.outage(true)
    await until(async () => ((await stack.sessionStatus('shop')) === 'connected' ? undefined : true), 'session down')
    // The shortest TTL there is: the outage outlasts it, in real time, as the host's clock is real.
    const shortSentAt = Date.now()
    const short = (await post('/api/messages/shop/otp', { to: '081234560100', ttlSeconds: 30 })).body.data as Otp
    const queued: Otp[] = []
    for (let i = 1; i <= 20; i++) {
      const response = await post('/api/messages/shop/otp', { to: `0812345601${String(i).padStart(2, '0')}` })
      assert.equal(response.status, 201)
      queued.push(response.body.data as Otp)
    }
    for (const otp of [short, ...queued]) assert.equal((await get<Message>(`/api/messages/shop/${otp.messageId}`)).status, 'queued')
    await new Promise(resolve => setTimeout(resolve, shortSentAt + 31_000 - Date.now()))
    stack.sim.outage(false)
    for (const otp of queued) {
      // The host's reconnect backoff (up to a minute, jittered) decides when the session is back.
      const copy = await stack.sim.waitForSent(m => m.id === otp.messageId, 90_000)
      const code = codesIn(copy.decrypted.find(d => d.jid.startsWith(copy.to.split('@')[0] ?? '-'))?.message.extendedTextMessage?.text)[0]
      recordSensitive(code)
      assert.ok(code)
      assert.equal(recipientCopies(otp.messageId).length, 1)
    }
    const expired = await get<Message>(`/api/messages/shop/${short.messageId}`)
    assert.equal(expired.status, 'failed')
    assert.match(expired.error ?? '', /^expired_before_send/)
    assert.equal(recipientCopies(short.messageId).length, 0)
    await receiver.waitFor(
      r => r.find(e => e.type === 'otp.status' && e.data.otpId === short.otpId && e.data.status === 'failed'),
      'otp.status failed for the expired OTP'
    )
  })
})
