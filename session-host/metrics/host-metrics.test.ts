import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { MessageView } from '../../shared/host-api/messages.ts'
import { readMetrics } from '../../test/support/prometheus-text.ts'
import { createHostMetrics } from './host-metrics.ts'
import type { HostSnapshot } from './host-metrics.ts'
import { sessionEventMetrics } from './session-metrics.ts'

const message = (status: MessageView['status'], extra: Partial<MessageView> = {}): MessageView => ({
  sessionId: 'shop',
  messageId: '3EB0AAAA',
  to: '+6281234567890',
  kind: 'otp',
  status,
  error: null,
  otpId: 'otp_1',
  timestamp: '2026-01-01T00:00:00.000Z',
  sentAt: status === 'queued' ? null : '2026-01-01T00:00:00.300Z',
  deliveredAt: status === 'delivered' ? '2026-01-01T00:00:02.000Z' : null,
  readAt: null,
  failedAt: null,
  ...extra
})

const metricsWith = (snapshot: Partial<HostSnapshot> = {}) =>
  createHostMetrics({ hostId: 'host-a', snapshot: async () => ({ sessions: [], leader: false, ...snapshot }) })

describe('the host metrics', () => {
  it('counts message statuses by session and kind, and times the ack and the delivery', async () => {
    const metrics = metricsWith()
    for (const status of ['queued', 'sent', 'delivered'] as const) metrics.recordMessage(message(status))
    metrics.recordMessage(message('sent', { kind: 'text', otpId: null }))
    const { value, family } = readMetrics(await metrics.render())
    assert.equal(value('wagw_messages_total', { host: 'host-a', session: 'shop', kind: 'otp', status: 'queued' }), 1)
    assert.equal(value('wagw_messages_total', { kind: 'otp', status: 'sent' }), 1)
    assert.equal(value('wagw_messages_total', { kind: 'text', status: 'sent' }), 1)
    // Only OTP messages count as OTP deliveries.
    assert.equal(value('wagw_otp_delivery_total', { delivery: 'sent' }), 1)
    assert.equal(value('wagw_otp_delivery_total', { delivery: 'delivered' }), 1)
    const text = await metrics.render()
    assert.match(text, /wagw_message_ack_seconds_sum\{host="host-a",kind="otp"\} 0\.3\n/)
    assert.match(text, /wagw_message_delivered_seconds_sum\{host="host-a",kind="otp"\} 2\n/)
    assert.match(text, /wagw_message_delivered_seconds_bucket\{le="1",host="host-a",kind="otp"\} 0\n/)
    assert.equal(family('wagw_message_ack_seconds')?.type, 'HISTOGRAM')
  })

  it('counts OTP statuses in the API vocabulary and times verifies', async () => {
    const metrics = metricsWith()
    metrics.recordOtpStatuses(['pending', 'approved'])
    metrics.recordOtpStatus('expired', 3)
    metrics.recordVerify(4, 'approved')
    const { value, observations } = readMetrics(await metrics.render())
    assert.deepEqual(
      ['pending', 'approved', 'expired', 'max_attempts_reached'].map(status => value('wagw_otp_status_total', { status })),
      [1, 1, 3, 0]
    )
    assert.equal(observations('wagw_otp_verify_seconds', { status: 'approved' }), 1)
  })

  it('renders the counters the watchdog and the send governor feed', async () => {
    const metrics = metricsWith()
    metrics.recordWatchdogRestart('shop')
    metrics.recordGovernorRefusal('shop', 'daily_new_chats')
    metrics.recordGovernorRefusal('shop', 'daily_new_chats')
    const { value, family } = readMetrics(await metrics.render())
    assert.equal(value('wagw_watchdog_restarts_total', { session: 'shop' }), 1)
    assert.equal(value('wagw_governor_refusals_total', { session: 'shop', reason: 'daily_new_chats' }), 2)
    assert.equal(family('wagw_governor_refusals_total')?.type, 'COUNTER')
  })

  it('reads its gauges at scrape time: every session status, restrictions, and the queue on the leader only', async () => {
    const sessions: HostSnapshot['sessions'] = [
      { sessionId: 'a', status: 'connected', restricted: false },
      { sessionId: 'b', status: 'connected', restricted: true }
    ]
    const leader = readMetrics(await metricsWith({ sessions, leader: true, webhookDeliveries: { pending: 7, dead: 2 } }).render())
    assert.equal(leader.value('wagw_sessions', { status: 'connected' }), 2)
    assert.equal(leader.family('wagw_sessions')?.metrics.length, 6)
    assert.equal(leader.value('wagw_session_restricted', { session: 'b' }), 1)
    assert.equal(leader.value('wagw_session_restricted', { session: 'a' }), 0)
    assert.equal(leader.value('wagw_webhook_deliveries', { status: 'pending' }), 7)
    assert.equal(leader.value('wagw_webhook_deliveries', { status: 'dead' }), 2)
    const follower = readMetrics(await metricsWith({ sessions }).render())
    assert.equal(follower.family('wagw_webhook_deliveries')?.metrics.length ?? 0, 0)
    assert.equal(follower.value('wagw_fleet_leader'), 0)
  })

  it('counts a reconnect only when a session that was connected connects again, and refusals by code', async () => {
    const metrics = metricsWith()
    const hear = sessionEventMetrics(metrics)
    for (const status of ['connecting', 'connected', 'connected', 'disconnected', 'connecting', 'connected'] as const)
      hear({ type: 'status', sessionId: 'shop', status })
    hear({ type: 'message-ack', sessionId: 'shop', messageId: 'm1', error: '463' })
    hear({ type: 'message-ack', sessionId: 'shop', messageId: 'm2' })
    hear({ type: 'status', sessionId: 'shop', status: 'disconnected', closeCode: 408, closeReason: 'unresponsive' })
    hear({ type: 'status', sessionId: 'shop', status: 'disconnected', closeCode: 428 })
    const { value } = readMetrics(await metrics.render())
    assert.equal(value('wagw_watchdog_restarts_total', { session: 'shop' }), 1, 'only the watchdog close')
    assert.equal(value('wagw_session_reconnects_total', { session: 'shop' }), 1)
    assert.equal(value('wagw_whatsapp_refusals_total', { session: 'shop', code: '463' }), 1)
    assert.equal(value('wagw_whatsapp_refusals_total'), 1)
  })
})
