import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { MessageView } from '../../shared/host-api/messages.ts'
import { SESSION_STATUSES } from '../../shared/sessions.ts'
import type { SessionStatus } from '../../shared/sessions.ts'
import type { OtpStatus } from '../../shared/statuses.ts'

/** What the host reads at scrape time: the sessions it runs, and (on the fleet's leader only) the shared webhook queue. */
export type HostSnapshot = {
  sessions: { sessionId: string; status: SessionStatus; restricted: boolean }[]
  leader: boolean
  /** Database-wide, so only one host of a fleet reports it: undefined elsewhere. */
  webhookDeliveries?: { pending: number; dead: number }
}

export type HostMetrics = ReturnType<typeof createHostMetrics>

/** Seconds from a send's acceptance to the server's ack, or to the recipient's phone: a send usually takes well under a second. */
const SEND_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300]
const VERIFY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1]

const seconds = (from: string, to: string | null): number | undefined => (to === null ? undefined : (Date.parse(to) - Date.parse(from)) / 1000)

/**
 * The host's Prometheus metrics, on a registry of its own (no global one: several hosts may share a
 * process in tests), each series labelled with the host's id. Counters are fed by what the host
 * already hears (message statuses, OTP statuses, webhook attempts, session events); gauges are read
 * at scrape time from `snapshot`. Names and labels use the statuses of shared/statuses.ts.
 */
export const createHostMetrics = ({ hostId, snapshot }: { hostId: string; snapshot: () => Promise<HostSnapshot> }) => {
  const registry = new Registry()
  registry.setDefaultLabels({ host: hostId })
  const registers = [registry]

  const messages = new Counter({
    name: 'wagw_messages_total',
    help: 'Messages that reached each status (queued when accepted; sent on the server ack; delivered, read or failed)',
    labelNames: ['session', 'kind', 'status'],
    registers
  })
  const ackSeconds = new Histogram({
    name: 'wagw_message_ack_seconds',
    help: 'From a send accepted to WhatsApp server ack (status sent)',
    labelNames: ['kind'],
    buckets: SEND_BUCKETS,
    registers
  })
  const deliveredSeconds = new Histogram({
    name: 'wagw_message_delivered_seconds',
    help: "From a send accepted to the recipient's delivery receipt (status delivered)",
    labelNames: ['kind'],
    buckets: SEND_BUCKETS,
    registers
  })
  const otpStatus = new Counter({
    name: 'wagw_otp_status_total',
    help: 'OTPs that entered each status (pending when created)',
    labelNames: ['status'],
    registers
  })
  const otpDelivery = new Counter({
    name: 'wagw_otp_delivery_total',
    help: 'OTP messages that reached each delivery (sent, delivered, read, failed)',
    labelNames: ['delivery'],
    registers
  })
  const verifySeconds = new Histogram({
    name: 'wagw_otp_verify_seconds',
    help: 'Time the host took to check a code, by the status it answered',
    labelNames: ['status'],
    buckets: VERIFY_BUCKETS,
    registers
  })
  const webhookAttempts = new Counter({
    name: 'wagw_webhook_attempts_total',
    help: 'Webhook delivery attempts, by the status the delivery is in after it (delivered; pending: failed, will retry; dead: failed for good)',
    labelNames: ['status'],
    registers
  })
  const reconnects = new Counter({
    name: 'wagw_session_reconnects_total',
    help: 'Times a session connected again after having been connected on this host',
    labelNames: ['session'],
    registers
  })
  const refusals = new Counter({
    name: 'wagw_whatsapp_refusals_total',
    help: 'Messages WhatsApp refused, by its error code (463: may not start new chats now)',
    labelNames: ['session', 'code'],
    registers
  })
  const watchdogRestarts = new Counter({
    name: 'wagw_watchdog_restarts_total',
    help: 'Sessions the liveness watchdog restarted',
    labelNames: ['session'],
    registers
  })
  const governorRefusals = new Counter({
    name: 'wagw_governor_refusals_total',
    help: 'Sends the send governor refused, by reason',
    labelNames: ['session', 'reason'],
    registers
  })

  // The gauges are set by one read per scrape (collect), not kept up to date between scrapes.
  let current: Promise<HostSnapshot> | undefined
  const read = (): Promise<HostSnapshot> => (current ??= snapshot().finally(() => (current = undefined)))
  new Gauge({
    name: 'wagw_sessions',
    help: 'Sessions this host runs, by status',
    labelNames: ['status'],
    registers,
    async collect() {
      const { sessions } = await read()
      this.reset()
      for (const status of SESSION_STATUSES) this.set({ status }, sessions.filter(session => session.status === status).length)
    }
  })
  new Gauge({
    name: 'wagw_session_restricted',
    help: 'Whether WhatsApp limits whom the session may message (the reach-out time-lock): 1 while it does',
    labelNames: ['session'],
    registers,
    async collect() {
      const { sessions } = await read()
      this.reset()
      for (const session of sessions) this.set({ session: session.sessionId }, session.restricted ? 1 : 0)
    }
  })
  new Gauge({
    name: 'wagw_fleet_leader',
    help: "1 on the host that reports the database's gauges (the fleet's leader)",
    registers,
    async collect() {
      this.set((await read()).leader ? 1 : 0)
    }
  })
  new Gauge({
    name: 'wagw_webhook_deliveries',
    help: 'Webhook deliveries in the database by status: pending is the queue depth, dead the dead letters (reported by the leader only)',
    labelNames: ['status'],
    registers,
    async collect() {
      const { webhookDeliveries } = await read()
      this.reset()
      if (!webhookDeliveries) return
      this.set({ status: 'pending' }, webhookDeliveries.pending)
      this.set({ status: 'dead' }, webhookDeliveries.dead)
    }
  })

  return {
    contentType: registry.contentType,
    /** The text exposition, with the gauges read now. */
    render: (): Promise<string> => registry.metrics(),
    /** A message reached `message.status` (the send queue tells, once it is stored). */
    recordMessage(message: MessageView): void {
      const { sessionId: session, kind, status } = message
      messages.inc({ session, kind, status })
      const toAck = status === 'sent' ? seconds(message.timestamp, message.sentAt) : undefined
      if (toAck !== undefined) ackSeconds.observe({ kind }, toAck)
      const toDelivered = status === 'delivered' ? seconds(message.timestamp, message.deliveredAt) : undefined
      if (toDelivered !== undefined) deliveredSeconds.observe({ kind }, toDelivered)
      if (message.otpId && status !== 'queued' && status !== 'sending') otpDelivery.inc({ delivery: status })
    },
    recordOtpStatus: (status: OtpStatus, count = 1): void => otpStatus.inc({ status }, count),
    recordOtpStatuses(statuses: readonly OtpStatus[]): void {
      for (const status of statuses) otpStatus.inc({ status })
    },
    recordVerify: (ms: number, status: OtpStatus): void => verifySeconds.observe({ status }, ms / 1000),
    recordWebhookAttempt: (status: 'delivered' | 'pending' | 'dead'): void => webhookAttempts.inc({ status }),
    recordReconnect: (sessionId: string): void => reconnects.inc({ session: sessionId }),
    recordRefusal: (sessionId: string, code: string): void => refusals.inc({ session: sessionId, code }),
    /** For the liveness watchdog: it restarted a session that stopped answering. */
    recordWatchdogRestart: (sessionId: string): void => watchdogRestarts.inc({ session: sessionId }),
    /** For the send governor: it refused a send, and why. */
    recordGovernorRefusal: (sessionId: string, reason: string): void => governorRefusals.inc({ session: sessionId, reason })
  }
}
