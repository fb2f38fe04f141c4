import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { startInProcessStack } from '../support/in-process-stack.ts'
import { until } from '../support/until.ts'
import { startWebhookReceiver } from '../support/webhook-receiver.ts'

type Message = { sessionId: string; messageId: string; to: string; kind: string; status: string; timestamp: string; createdAt: string; otpId: string | null }
type Otp = { otpId: string; sessionId: string; messageId: string; status: string; delivery?: { status: string } | null }
type Page<T> = { items: T[]; nextCursor: string | null }
type Delivery = {
  eventId: string
  eventType: string
  sessionId: string
  status: string
  attempts: number
  lastError: string | null
  lastStatusCode: number | null
  nextAttemptAt: string | null
  deliveredAt: string | null
}
type Stats = { since: string; until: string; messages: Record<string, number>; otps: Record<string, number>; otpDelivery: Record<string, number> }

/**
 * The lists an operator's dashboard reads, through the gateway and the host on real Baileys:
 * messages and OTPs by session, status, recipient and page; the webhook delivery log; the stats.
 * A token limited to one session sees that session alone.
 */
describe('message, OTP and webhook delivery lists, and the stats', () => {
  let stack: Awaited<ReturnType<typeof startInProcessStack>>
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>
  let reader: string
  let sender: string
  let limited: string
  let number = 0
  const nextNumber = () => `0812345601${`${number++}`.padStart(2, '0')}`

  const read = async <T>(path: string, token = reader): Promise<T> => {
    const response = await stack.call('GET', path, { token })
    assert.equal(response.status, 200, `${path}: ${JSON.stringify(response.body)}`)
    return response.body.data as T
  }
  const sendText = async (sessionId: string, to: string) => {
    const response = await stack.call('POST', `/api/messages/${sessionId}/text`, { token: sender, body: { to, text: `hello ${to}` } })
    assert.equal(response.status, 200, JSON.stringify(response.body))
    return response.body.data as Message
  }
  const sendOtp = async (to: string) => {
    const response = await stack.call('POST', '/api/messages/shop-1/otp', { token: sender, body: { to } })
    assert.equal(response.status, 201, JSON.stringify(response.body))
    const otp = response.body.data as Otp & { to: string }
    const copy = await stack.sim.waitForSent(m => m.id === otp.messageId)
    // The recipient's copy (the account's own devices get one too).
    const text = copy.decrypted.find(c => c.jid.startsWith(otp.to.slice(1)))?.message.extendedTextMessage?.text ?? ''
    return { otp, copy, code: /\b(\d{4,10})\b/.exec(text)?.[1] ?? '' }
  }
  /** Newest first, ties in creation time by id, as the lists promise. */
  const newestFirst = (messages: Message[]) =>
    [...messages].sort((a, b) => b.timestamp.localeCompare(a.timestamp) || (a.messageId < b.messageId ? 1 : -1)).map(m => m.messageId)

  before(async () => {
    // Many first messages to new numbers: the send governor would pace them.
    stack = await startInProcessStack({ hostEnv: { SEND_GOVERNOR: 'off' }, webhookRetry: { delaysMs: '20,50,100' } })
    receiver = await startWebhookReceiver()
    const created = (await stack.linkSession('shop-1', '6281100000011', { webhook: { url: receiver.url, events: ['message.status'] } })) as {
      webhook: { secret: string }
    }
    receiver.setSecret(created.webhook.secret)
    await stack.linkSession('shop-2', '6281100000012')
    reader = await stack.token('sessions:read')
    sender = await stack.token('messages:send otp:send otp:verify')
    limited = await stack.token('sessions:read', { sessions: ['shop-2'] })
  })
  after(async () => {
    await stack?.stop()
    await receiver?.stop()
  })

  it("lists a session's messages newest first over two pages, and filters them by recipient and status", async () => {
    const repeated = nextNumber()
    const sent = [await sendText('shop-1', repeated), await sendText('shop-1', nextNumber()), await sendText('shop-1', nextNumber())]
    sent.push(await sendText('shop-1', repeated))
    const other = await sendText('shop-2', nextNumber())

    const first = await read<Page<Message>>('/api/messages/shop-1?limit=2')
    assert.equal(first.items.length, 2)
    assert.ok(first.nextCursor)
    const second = await read<Page<Message>>(`/api/messages/shop-1?limit=2&cursor=${first.nextCursor}`)
    assert.equal(second.nextCursor, null)
    assert.deepEqual(
      [...first.items, ...second.items].map(m => m.messageId),
      newestFirst(sent)
    )
    const item = first.items[0]!
    assert.deepEqual(Object.keys(item).sort(), [
      'createdAt',
      'deliveredAt',
      'error',
      'failedAt',
      'kind',
      'messageId',
      'otpId',
      'readAt',
      'sentAt',
      'sessionId',
      'status',
      'timestamp',
      'to'
    ])
    assert.equal(item.createdAt, item.timestamp)

    // The recipient in another form than it was sent to, normalised as the send routes do.
    const digits = sent[0]!.to.slice(1)
    const byRecipient = await read<Page<Message>>(`/api/messages/shop-1?to=${encodeURIComponent(`+${digits.slice(0, 2)} ${digits.slice(2)}`)}`)
    assert.deepEqual(
      byRecipient.items.map(m => m.messageId),
      newestFirst([sent[0]!, sent[3]!])
    )

    const copy = await stack.sim.waitForSent(m => m.id === sent[1]!.messageId)
    stack.sim.sendReceipt(copy, 'delivery')
    const delivered = await until(async () => {
      const page = await read<Page<Message>>('/api/messages/shop-1?status=delivered')
      return page.items.length > 0 ? page : undefined
    }, 'a delivered message in the list')
    assert.deepEqual(
      delivered.items.map(m => [m.messageId, m.status]),
      [[sent[1]!.messageId, 'delivered']]
    )

    // Across sessions: every session for a token that may see all, or the one asked for.
    const all = await read<Page<Message>>('/api/messages?limit=100')
    assert.ok([...sent, other].every(m => all.items.some(i => i.messageId === m.messageId)))
    assert.deepEqual(
      (await read<Page<Message>>('/api/messages?sessionId=shop-2')).items.map(m => m.messageId),
      [other.messageId]
    )
  })

  it('refuses a cursor it did not make, and a limit out of bounds', async () => {
    for (const query of ['cursor=not-a-cursor', `cursor=${Buffer.from('{"t":"x"}').toString('base64url')}`, 'limit=0', 'limit=101']) {
      const response = await stack.call('GET', `/api/messages/shop-1?${query}`, { token: reader })
      assert.equal(response.status, 400, query)
      assert.equal(response.body.error.code, 'VALIDATION_ERROR', query)
    }
    const otps = await stack.call('GET', '/api/otp?cursor=AAAA', { token: reader })
    assert.equal(otps.body.error.code, 'VALIDATION_ERROR')
  })

  it('answers a list, the stats or the event stream narrowed to a session that does not exist with 404 SESSION_NOT_FOUND, not an empty page', async () => {
    for (const path of [
      '/api/messages/no-such-shop',
      '/api/otp?sessionId=no-such-shop',
      '/api/stats?sessionId=no-such-shop',
      '/api/webhooks/deliveries?sessionId=no-such-shop',
      '/api/events?sessionId=no-such-shop'
    ]) {
      const response = await stack.call('GET', path, { token: reader })
      assert.equal(response.status, 404, path)
      assert.equal(response.body.error.code, 'SESSION_NOT_FOUND', path)
    }
  })

  it('lists OTPs and counts the funnel: one delivered and approved, one canceled while only sent', async () => {
    const since = new Date(Date.now() - 1).toISOString()
    const approved = await sendOtp(nextNumber())
    stack.sim.sendReceipt(approved.copy, 'delivery')
    await until(async () => ((await read<Otp>(`/api/otp/${approved.otp.otpId}`, sender)).delivery?.status === 'delivered' ? true : undefined), 'OTP delivered')
    const verdict = await stack.call('POST', '/api/otp/verify', { token: sender, body: { otpId: approved.otp.otpId, code: approved.code } })
    assert.equal((verdict.body.data as { valid: boolean } | undefined)?.valid, true, JSON.stringify(verdict.body))
    const canceled = await sendOtp(nextNumber())
    assert.equal((await stack.call('POST', `/api/otp/${canceled.otp.otpId}/cancel`, { token: sender })).status, 200)

    const listed = await read<Page<Otp>>('/api/otp?sessionId=shop-1&limit=2')
    assert.deepEqual(
      listed.items.map(o => [o.otpId, o.status, o.delivery?.status]),
      [
        [canceled.otp.otpId, 'canceled', 'sent'],
        [approved.otp.otpId, 'approved', 'delivered']
      ]
    )
    assert.doesNotMatch(JSON.stringify(listed), new RegExp(`\\b(${approved.code}|${canceled.code})\\b`))
    assert.deepEqual((await read<Page<Otp>>('/api/otp?status=approved&sessionId=shop-1')).items.map(o => o.otpId).includes(approved.otp.otpId), true)
    assert.deepEqual(
      (await read<Page<Otp>>('/api/otp?status=canceled')).items.map(o => o.otpId),
      [canceled.otp.otpId]
    )

    const stats = await read<Stats>(`/api/stats?sessionId=shop-1&since=${encodeURIComponent(since)}`)
    assert.equal(stats.since, since)
    assert.deepEqual(stats.otps, { pending: 0, approved: 1, expired: 0, max_attempts_reached: 0, canceled: 1, failed: 0 })
    assert.deepEqual(stats.otpDelivery, { sent: 1, delivered: 1, read: 0, failed: 0 })
    assert.deepEqual(stats.messages, { queued: 0, sending: 0, sent: 1, delivered: 1, read: 0, failed: 0 })
    // Without `since`: the last 24 hours, which hold every message of this file.
    const day = await read<Stats>('/api/stats')
    assert.equal(Date.parse(day.until) - Date.parse(day.since), 24 * 60 * 60 * 1000)
    assert.ok(day.messages.sent! + day.messages.delivered! >= 7)
  })

  it('shows a token limited to one session only that session, and refuses it another', async () => {
    const mine = await sendText('shop-2', nextNumber())
    const seen = await read<Page<Message>>('/api/messages?limit=100', limited)
    assert.ok(seen.items.length > 0)
    assert.ok(seen.items.every(m => m.sessionId === 'shop-2'))
    assert.ok(seen.items.some(m => m.messageId === mine.messageId))
    assert.ok((await read<Page<Otp>>('/api/otp', limited)).items.every(o => o.sessionId === 'shop-2'))
    assert.deepEqual((await read<Page<Delivery>>('/api/webhooks/deliveries', limited)).items, [])
    const stats = await read<Stats>('/api/stats', limited)
    assert.equal(stats.otps.approved, 0)
    assert.equal(
      Object.values(stats.messages).reduce((sum, n) => sum + n, 0),
      seen.items.length
    )
    for (const path of [
      '/api/messages/shop-1',
      '/api/messages?sessionId=shop-1',
      '/api/otp?sessionId=shop-1',
      '/api/webhooks/deliveries?sessionId=shop-1',
      '/api/stats?sessionId=shop-1'
    ]) {
      const response = await stack.call('GET', path, { token: limited })
      assert.deepEqual([response.status, response.body.error.code], [403, 'SESSION_FORBIDDEN'], path)
    }
    const unscoped = await stack.call('GET', '/api/messages', { token: await stack.token('otp:send') })
    assert.deepEqual([unscoped.status, unscoped.body.error.code], [403, 'INSUFFICIENT_SCOPE'])
  })

  it('logs a webhook that failed while the receiver was down, then delivered', async () => {
    receiver.state.down = true
    const sent = await sendText('shop-1', nextNumber())
    const eventOf = (page: Page<Delivery>) => page.items.find(d => d.eventType === 'message.status' && d.status !== 'delivered')
    const failed = await until(async () => {
      const delivery = eventOf(await read<Page<Delivery>>('/api/webhooks/deliveries?sessionId=shop-1&status=pending'))
      return delivery?.lastStatusCode === 503 ? delivery : undefined
    }, 'a failed attempt in the log')
    assert.equal(failed.lastError, 'HTTP 503')
    assert.ok(failed.attempts >= 1)
    assert.ok(failed.nextAttemptAt)
    assert.equal(failed.deliveredAt, null)

    receiver.state.down = false
    const event = await receiver.waitFor(r => r.find(e => e.id === failed.eventId), 'the event once the receiver is back')
    assert.equal(event.type, 'message.status')
    const delivered = await until(async () => {
      const page = await read<Page<Delivery>>('/api/webhooks/deliveries?sessionId=shop-1&status=delivered&limit=100')
      return page.items.find(d => d.eventId === failed.eventId)
    }, 'the delivery in the log')
    assert.equal(delivered.lastStatusCode, 204)
    assert.equal(delivered.lastError, null)
    assert.equal(delivered.nextAttemptAt, null)
    assert.ok(delivered.attempts > failed.attempts)
    assert.ok(delivered.deliveredAt)
    await receiver.waitFor(r => r.find(e => e.data.messageId === sent.messageId), "the text's message.status")
  })
})
