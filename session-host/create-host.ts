import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { UserFacingSocketConfig } from '@whiskeysockets/baileys'
import type { Logger } from 'pino'
import { createHostApp } from './app.ts'
import { governorDefaults, retryPolicy } from './config.ts'
import type { HostConfig } from './config.ts'
import { openDatabase } from './db/open-database.ts'
import { FleetMember } from './fleet/fleet-member.ts'
import { SendGovernor } from './governor/send-governor.ts'
import { listHosts } from './fleet/host-registry.ts'
import { createUploadSpool } from './media/upload-spool.ts'
import { createRecipientCheck } from './messages/recipient-check.ts'
import { createHostMetrics } from './metrics/host-metrics.ts'
import { readHostSnapshot } from './metrics/host-snapshot.ts'
import { sessionEventMetrics } from './metrics/session-metrics.ts'
import { expireDueOtps } from './otp/otp-expiry.ts'
import { otpFollowsMessage } from './otp/otp-follows-message.ts'
import { createOtpService } from './otp/otp-service.ts'
import { forgetExpiredIdempotencyKeys } from './outbox/idempotency-retention.ts'
import { journalMessageChange } from './outbox/message-events.ts'
import { createPayloadCipher } from './outbox/payload-cipher.ts'
import { SendQueue } from './outbox/send-queue.ts'
import { Sandbox } from './sandbox/sandbox.ts'
import { SharedSandbox } from './sandbox/shared-sandbox.ts'
import { SandboxLinking } from './sandbox/sandbox-linking.ts'
import { trustNoiseRoot } from './sessions/noise-root.ts'
import { SessionManager } from './sessions/session-manager.ts'
import { createUpkeep } from './upkeep.ts'
import { WebhookDispatcher } from './webhooks/dispatcher.ts'
import type { SendWebhook } from './webhooks/dispatcher.ts'
import { syncGlobalEndpoint } from './webhooks/endpoints.ts'
import { pruneDeliveredEvents } from './webhooks/event-retention.ts'
import { queuedDeliveries } from './webhooks/record-event.ts'
import { assignAllStreamPositions } from './events/stream-positions.ts'
import { createConnectGate } from './sessions/connect-gate.ts'
import { gatewaySender } from './webhooks/gateway-sender.ts'
import { journalSessionEvent } from './webhooks/session-events.ts'

export type HostOptions = {
  config: HostConfig
  logger: Logger
  clock?: () => number
  /** Where Baileys connects, per session: by default the sandbox's emulator, WA_WEBSOCKET_URL, or WhatsApp. */
  socketConfig?: (sessionId: string) => Partial<UserFacingSocketConfig>
  reconnectBackoff?: { baseMs?: number; maxMs?: number }
  /** How webhook deliveries leave: by default signed to GATEWAY_URL; without either, events are only stored. */
  sendWebhook?: SendWebhook
  webhookPollMs?: number
  upkeepEveryMs?: number
}

export type Host = Awaited<ReturnType<typeof createHost>>

/**
 * The session host's composition root: builds every part from the configuration, wires them
 * (the send queue and the sandbox listen to the sessions, events wake the webhook outbox), and
 * owns the order they start in and stop in. main.ts only parses the environment, serves `app`
 * and handles signals; tests build the same host without a port.
 */
export const createHost = async ({ config, logger, clock = Date.now, ...options }: HostOptions) => {
  const database = await openDatabase({ databaseUrl: config.DATABASE_URL, sqliteFile: join(config.DATA_DIR, 'host.db') })
  const db = database.db
  const spool = createUploadSpool(config.MEDIA_TMP_DIR ?? tmpdir())
  // In a sandbox fleet one host runs the emulator; the others (SANDBOX_HOME_URL) use it.
  const sandbox =
    config.WA_MODE !== 'sandbox'
      ? undefined
      : config.SANDBOX_HOME_URL
        ? new SharedSandbox(config.SANDBOX_HOME_URL, config.INTERNAL_SECRET, logger)
        : new Sandbox(logger, {
            stateFile: join(config.DATA_DIR, 'sandbox-state.json'),
            receipts: { deliveredAfterMs: config.SANDBOX_DELIVERED_AFTER_MS, readAfterMs: config.SANDBOX_READ_AFTER_MS },
            sentLimit: config.SANDBOX_SENT_LIMIT
          })

  // Read at scrape time, when the sessions and the fleet below exist.
  const metrics = createHostMetrics({
    hostId: config.HOST_ID,
    snapshot: () => readHostSnapshot({ db, sessions, hostId: config.HOST_ID, leader: fleet?.isLeader ?? false })
  })

  const send =
    options.sendWebhook ?? (config.GATEWAY_URL ? gatewaySender({ gatewayUrl: config.GATEWAY_URL, secret: config.INTERNAL_SECRET, clock }) : undefined)
  const webhooks = send
    ? new WebhookDispatcher({
        db,
        logger,
        clock,
        retry: retryPolicy(config),
        send,
        scope: () => ({ hostId: config.HOST_ID, leader: fleet?.isLeader ?? false }),
        onAttempt: status => metrics.recordWebhookAttempt(status),
        ...(options.webhookPollMs ? { pollMs: options.webhookPollMs } : {})
      })
    : undefined
  // After an event: the dispatcher looks for work only when the event queued a delivery.
  let queuedAtLastWake = queuedDeliveries()
  const wakeWebhooks = (): void => {
    const queued = queuedDeliveries()
    if (queued === queuedAtLastWake) return
    queuedAtLastWake = queued
    webhooks?.wake()
  }

  if (config.WA_NOISE_ROOT_KEY) trustNoiseRoot(config.WA_NOISE_ROOT_KEY)
  const socketConfig =
    options.socketConfig ?? (sandbox ? () => sandbox.socketConfig() : config.WA_WEBSOCKET_URL ? () => ({ waWebSocketUrl: config.WA_WEBSOCKET_URL }) : undefined)
  // The sandbox's phone scans each QR, or types the pairing code a session asked for.
  const linking = sandbox ? new SandboxLinking(sandbox, logger.child({ module: 'sandbox' })) : undefined
  // The fleet and the sessions need each other: a created session is adopted by the fleet, which runs it here.
  let fleet: FleetMember | undefined
  const sessions = new SessionManager({
    db,
    logger,
    host: {
      id: config.HOST_ID,
      leaseMs: config.LEASE_MS,
      liveMs: config.FLEET_TICK_MS * 3,
      adoptNew: async (sessionId, fence) => {
        await fleet?.adoptNew(sessionId, fence)
      }
    },
    ...(socketConfig ? { socketConfig } : {}),
    ...(options.reconnectBackoff ? { backoff: options.reconnectBackoff } : {}),
    liveness: { timeoutMs: config.WATCHDOG_TIMEOUT_MS, probeMs: config.WATCHDOG_PROBE_MS },
    connectGate: createConnectGate(config.SESSION_CONNECT_CONCURRENCY),
    ...(linking ? { pairingPhone: linking } : {}),
    journal: async (tx, event) => {
      await journalSessionEvent(tx, event)
      wakeWebhooks()
    }
  })
  const recipients = createRecipientCheck({ db, ttlMs: config.RECIPIENT_CHECK_TTL_MS, clock })
  const queue = new SendQueue({
    db,
    cipher: createPayloadCipher(config.INTERNAL_SECRET),
    logger: logger.child({ module: 'send-queue' }),
    socketOf: sessionId => sessions.connectedSocket(sessionId),
    fenceOf: sessionId => fleet?.fence(sessionId),
    hostId: config.HOST_ID,
    clock,
    ackTimeoutMs: config.ACK_TIMEOUT_MS,
    onWhatsApp: (sessionId, socket, jid) => recipients.isOnWhatsApp(sessionId, socket, jid),
    onChange: async (tx, change) => {
      await journalMessageChange(tx, change, clock())
      await otpFollowsMessage(tx, change.message, clock(), metrics.recordOtpStatuses)
      wakeWebhooks()
    },
    onStatus: message => metrics.recordMessage(message)
  })
  fleet = new FleetMember(
    db,
    { hostId: config.HOST_ID, url: config.HOST_ADVERTISE_URL, leaseMs: config.LEASE_MS, tickMs: config.FLEET_TICK_MS, wave: config.FLEET_WAVE },
    sessions,
    logger
  )
  const member = fleet
  const governor = new SendGovernor({
    db,
    defaults: governorDefaults(config),
    logger: logger.child({ module: 'send-governor' }),
    clock,
    socketOf: sessionId => sessions.connectedSocket(sessionId),
    viewOf: sessionId => sessions.view(sessionId),
    onEvent: wakeWebhooks,
    onRefusal: (sessionId, refusal) => metrics.recordGovernorRefusal(sessionId, refusal.reason)
  })
  member.onRound(held => queue.kickWaiting(held))
  const countSessionEvent = sessionEventMetrics(metrics)
  sessions.onEvent(event => {
    countSessionEvent(event)
    if (event.type === 'status') logger.info({ sessionId: event.sessionId, status: event.status }, 'session status')
    if (event.type === 'qr') linking?.onQr(event.sessionId, event.qr)
    void queue.onSessionEvent(event)
    void governor.onSessionEvent(event)
  })
  const otps = createOtpService({
    db,
    queue,
    sessions,
    governor,
    recipients,
    clock,
    onEvent: wakeWebhooks,
    observe: { statuses: metrics.recordOtpStatuses, verified: (ms, status) => metrics.recordVerify(ms, status) }
  })
  const upkeep = createUpkeep({
    clock,
    logger,
    ...(options.upkeepEveryMs ? { everyMs: options.upkeepEveryMs } : {}),
    jobs: [
      { name: 'send deadlines', run: () => queue.sweep() },
      {
        name: 'OTP expiry',
        run: async now => {
          const expired = await expireDueOtps(db, now)
          if (expired === 0) return
          metrics.recordOtpStatus('expired', expired)
          wakeWebhooks()
        }
      },
      { name: 'Idempotency-Key retention', run: now => forgetExpiredIdempotencyKeys(db, now) },
      { name: 'event stream positions', run: () => assignAllStreamPositions(db) },
      { name: 'webhook event retention', run: now => pruneDeliveredEvents(db, now) }
    ]
  })
  const outboxDir = join(config.DATA_DIR, 'outbox-files')
  const app = createHostApp({
    db,
    clock,
    sessions,
    otps,
    queue,
    governor,
    recipients,
    internalSecret: config.INTERNAL_SECRET,
    logger,
    databaseWritable: database.canWrite,
    fleet: { hostId: config.HOST_ID, hosts: () => listHosts(db, config.LEASE_MS), ready: () => fleet?.ready ?? false },
    media: { outboxDir, spool, fetchPolicy: { allowHosts: config.MEDIA_URL_ALLOW_HOSTS, timeoutMs: config.MEDIA_FETCH_TIMEOUT_MS, maxRedirects: 5 } },
    ...(sandbox ? { sandbox } : {}),
    metrics
  })

  let stopped: Promise<void> | undefined
  let handedOver: Promise<void> | undefined
  /** Stops sending and hands every session over (leases released); the host still answers meanwhile. */
  const handOver = (): Promise<void> => {
    handedOver ??= (async () => {
      upkeep.stop()
      queue.stop()
      // Closes the sessions cleanly and releases their leases: other hosts take them at once.
      await member.stop()
    })()
    return handedOver
  }
  return {
    app,
    db,
    sessions,
    queue,
    governor,
    webhooks,
    metrics,
    fleet: member,
    upkeep,
    spool,
    outboxDir,
    /**
     * The emulator first (sandbox sessions connect to it), then the queue (messages a crash left
     * half-sent are back in line before their sessions connect), then the sessions and the outbox.
     */
    async start(): Promise<void> {
      await sandbox?.start()
      await syncGlobalEndpoint(db, { url: config.WEBHOOK_URL, secrets: config.WEBHOOK_SECRET, events: config.WEBHOOK_EVENTS })
      await queue.start()
      upkeep.start()
      // Registers the host and takes its share of the sessions (all of them, alone on SQLite).
      await member.start()
      webhooks?.start()
    },
    handOver,
    /** In reverse; a second call waits for the first. */
    stop(): Promise<void> {
      stopped ??= (async () => {
        await handOver()
        await sessions.stopAll()
        await webhooks?.stop()
        await sandbox?.stop()
        await database.close()
        spool.close()
      })()
      return stopped
    }
  }
}
