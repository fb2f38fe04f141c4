import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { INTERNAL_SECRET, JWT_SECRET, METRICS_TOKEN, startInProcessStack } from '../support/in-process-stack.ts'
import { readMetrics } from '../support/prometheus-text.ts'
import { until } from '../support/until.ts'
import { startWebhookReceiver } from '../support/webhook-receiver.ts'

type Otp = { otpId: string; messageId: string }
type Message = { messageId: string; status: string }

const ACCOUNT = '15550100031'

/**
 * GET /metrics on the gateway, merged from the host, read by an off-the-shelf Prometheus parser:
 * who may read it, and that its counters move with the traffic that went through the stack.
 */
describe('Prometheus metrics through the gateway, the host and the emulator', () => {
  let stack: Awaited<ReturnType<typeof startInProcessStack>>
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>
  let admin: string

  const scrape = async (token = METRICS_TOKEN) => {
    const response = await stack.gateway.request('/metrics', { headers: { authorization: `Bearer ${token}` } })
    assert.equal(response.status, 200)
    assert.equal(response.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8')
    const text = await response.text()
    return { text, ...readMetrics(text) }
  }
  const status = async (headers: Record<string, string>) => (await stack.gateway.request('/metrics', { headers })).status

  before(async () => {
    stack = await startInProcessStack()
    receiver = await startWebhookReceiver()
    const created = (await stack.linkSession('metrics-shop', ACCOUNT, { webhook: { url: receiver.url, events: ['otp.status'] } })) as {
      webhook: { secret: string }
    }
    receiver.setSecret(created.webhook.secret)
    admin = await stack.token('admin')
  })
  after(async () => {
    await stack?.stop()
    await receiver?.stop()
  })

  it('answers 401 without a token or with a wrong one, 403 to a JWT without admin or narrowed to some sessions', async () => {
    assert.equal(await status({}), 401)
    assert.equal(await status({ authorization: `Bearer ${METRICS_TOKEN}x` }), 401)
    assert.equal(await status({ authorization: `Bearer ${await stack.token('otp:send otp:verify sessions:read')}` }), 403)
    assert.equal(await status({ authorization: `Bearer ${await stack.token('admin', { sessions: ['metrics-shop'] })}` }), 403)
  })

  it('shows the scraper the hosts by index only, and no secret', async () => {
    const { text, value } = await scrape()
    assert.equal(value('wagw_gateway_host_up', { index: '0' }), 1)
    for (const secret of ['host.internal', INTERNAL_SECRET, JWT_SECRET, METRICS_TOKEN]) assert.ok(!text.includes(secret), `the text shows ${secret}`)
    assert.equal(value('wagw_sessions', { status: 'connected' }), 1)
    assert.equal(value('wagw_session_restricted', { session: 'metrics-shop' }), 0)
    assert.equal(value('wagw_fleet_leader'), 1)
  })

  it("shows an admin JWT each host's URL", async () => {
    const { family } = await scrape(admin)
    assert.deepEqual(family('wagw_gateway_host_up')?.metrics, [{ value: '1', labels: { index: '0', url: 'http://host.internal' } }])
  })

  it('counts an OTP sent, delivered and verified, its message, its webhook and the verify', async () => {
    const before = await scrape()
    const sent = await stack.call('POST', '/api/messages/metrics-shop/otp', { token: admin, body: { to: '081234567031' } })
    assert.equal(sent.status, 201, JSON.stringify(sent.body))
    const otp = sent.body.data as Otp
    const copy = await stack.sim.waitForSent(m => m.id === otp.messageId)
    stack.sim.sendReceipt(copy, 'delivery')
    await until(async () => {
      const view = (await stack.call('GET', `/api/messages/metrics-shop/${otp.messageId}`, { token: admin })).body.data as Message
      return view.status === 'delivered' ? view : undefined
    }, 'the OTP delivered')
    const code = /\b(\d{4,10})\b/.exec(copy.decrypted.find(c => c.jid.startsWith('62'))?.message.extendedTextMessage?.text ?? '')?.[1]
    const verdict = await stack.call('POST', '/api/otp/verify', { token: admin, body: { otpId: otp.otpId, code } })
    assert.equal((verdict.body.data as { status: string }).status, 'approved')
    // Delivered, then approved: two otp.status webhooks delivered.
    await receiver.waitFor(r => r.find(e => e.data.otpId === otp.otpId && e.data.status === 'approved'), 'otp.status approved')
    const now = await until(async () => {
      const scraped = await scrape()
      return scraped.value('wagw_webhook_attempts_total', { status: 'delivered' }) >= before.value('wagw_webhook_attempts_total', { status: 'delivered' }) + 2
        ? scraped
        : undefined
    }, 'the webhook attempts counted')

    const moved = (name: string, labels: Record<string, string>) => now.value(name, labels) - before.value(name, labels)
    const otpMessage = { session: 'metrics-shop', kind: 'otp' }
    assert.deepEqual(
      ['queued', 'sent', 'delivered', 'read', 'failed'].map(status => moved('wagw_messages_total', { ...otpMessage, status })),
      [1, 1, 1, 0, 0]
    )
    assert.deepEqual(
      ['pending', 'approved', 'expired', 'max_attempts_reached', 'canceled', 'failed'].map(status => moved('wagw_otp_status_total', { status })),
      [1, 1, 0, 0, 0, 0]
    )
    assert.deepEqual(
      ['sent', 'delivered', 'read', 'failed'].map(delivery => moved('wagw_otp_delivery_total', { delivery })),
      [1, 1, 0, 0]
    )
    assert.equal(now.observations('wagw_message_ack_seconds', { kind: 'otp' }) - before.observations('wagw_message_ack_seconds', { kind: 'otp' }), 1)
    assert.equal(
      now.observations('wagw_message_delivered_seconds', { kind: 'otp' }) - before.observations('wagw_message_delivered_seconds', { kind: 'otp' }),
      1
    )
    assert.equal(
      now.observations('wagw_otp_verify_seconds', { status: 'approved' }) - before.observations('wagw_otp_verify_seconds', { status: 'approved' }),
      1
    )
    assert.equal(moved('wagw_webhook_attempts_total', { status: 'delivered' }), 2)
    assert.equal(now.value('wagw_webhook_deliveries', { status: 'pending' }), 0)
  })

  it('counts a 463 refusal, the failed OTP, and a reconnect', async () => {
    const before = await scrape()
    stack.sim.refuseMessagesTo('6281234567032', '463')
    const sent = await stack.call('POST', '/api/messages/metrics-shop/otp', { token: admin, body: { to: '081234567032' } })
    const otp = sent.body.data as Otp
    await until(async () => {
      const view = (await stack.call('GET', `/api/messages/metrics-shop/${otp.messageId}`, { token: admin })).body.data as Message
      return view.status === 'failed' ? view : undefined
    }, 'the refused OTP failed')
    stack.sim.refuseMessagesTo('6281234567032', undefined)
    stack.sim.drop(ACCOUNT)
    const now = await until(async () => {
      const scraped = await scrape()
      return scraped.value('wagw_session_reconnects_total', { session: 'metrics-shop' }) >
        before.value('wagw_session_reconnects_total', { session: 'metrics-shop' })
        ? scraped
        : undefined
    }, 'the reconnect counted')
    const moved = (name: string, labels: Record<string, string>) => now.value(name, labels) - before.value(name, labels)
    assert.equal(moved('wagw_whatsapp_refusals_total', { session: 'metrics-shop', code: '463' }), 1)
    assert.equal(moved('wagw_messages_total', { session: 'metrics-shop', kind: 'otp', status: 'failed' }), 1)
    assert.equal(moved('wagw_otp_status_total', { status: 'failed' }), 1)
    assert.equal(moved('wagw_otp_delivery_total', { delivery: 'failed' }), 1)
    assert.equal(moved('wagw_session_reconnects_total', { session: 'metrics-shop' }), 1)
  })
})
