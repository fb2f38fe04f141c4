import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { UserFacingSocketConfig } from '@whiskeysockets/baileys'
import type { Logger } from 'pino'
import { createHostApp } from './app.ts'
import { retryPolicy } from './config.ts'
import type { HostConfig } from './config.ts'
import { openDatabase } from './db/connection.ts'
import { createUploadSpool } from './media/upload-spool.ts'
import { createRecipientCheck } from './messages/recipient-check.ts'
import { expireDueOtps } from './otp/otp-expiry.ts'
import { otpFollowsMessage } from './otp/otp-follows-message.ts'
import { createOtpService } from './otp/otp-service.ts'
import { forgetExpiredIdempotencyKeys } from './outbox/idempotency-retention.ts'
import { journalMessageChange } from './outbox/message-events.ts'
import { createPayloadCipher } from './outbox/payload-cipher.ts'
import { SendQueue } from './outbox/send-queue.ts'
import { Sandbox } from './sandbox/sandbox.ts'
import { SessionManager } from './sessions/session-manager.ts'
import { createUpkeep } from './upkeep.ts'
import { WebhookDispatcher } from './webhooks/dispatcher.ts'
import type { SendWebhook } from './webhooks/dispatcher.ts'
import { syncGlobalEndpoint } from './webhooks/endpoints.ts'
import { pruneDeliveredEvents } from './webhooks/event-retention.ts'
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

export type Host = ReturnType<typeof createHost>

/**
 * The session host's composition root: builds every part from the configuration, wires them
 * (the send queue and the sandbox listen to the sessions, events wake the webhook outbox), and
 * owns the order they start in and stop in. main.ts only parses the environment, serves `app`
 * and handles signals; tests build the same host without a port.
 */
export const createHost = ({ config, logger, clock = Date.now, ...options }: HostOptions) => {
  const database = openDatabase(join(config.DATA_DIR, 'host.db'))
  const db = database.db
  const spool = createUploadSpool(config.MEDIA_TMP_DIR ?? tmpdir())
  const sandbox =
    config.WA_MODE === 'sandbox'
      ? new Sandbox(logger, {
          stateFile: join(config.DATA_DIR, 'sandbox-state.json'),
          receipts: { deliveredAfterMs: config.SANDBOX_DELIVERED_AFTER_MS, readAfterMs: config.SANDBOX_READ_AFTER_MS },
          sentLimit: config.SANDBOX_SENT_LIMIT
        })
      : undefined

  const send =
    options.sendWebhook ?? (config.GATEWAY_URL ? gatewaySender({ gatewayUrl: config.GATEWAY_URL, secret: config.INTERNAL_SECRET, clock }) : undefined)
  const webhooks = send
    ? new WebhookDispatcher({ db, logger, clock, retry: retryPolicy(config), send, ...(options.webhookPollMs ? { pollMs: options.webhookPollMs } : {}) })
    : undefined
  const wakeWebhooks = (): void => webhooks?.wake()

  const socketConfig =
    options.socketConfig ?? (sandbox ? () => sandbox.socketConfig() : config.WA_WEBSOCKET_URL ? () => ({ waWebSocketUrl: config.WA_WEBSOCKET_URL }) : undefined)
  const sessions = new SessionManager({
    db,
    logger,
    ...(socketConfig ? { socketConfig } : {}),
    ...(options.reconnectBackoff ? { backoff: options.reconnectBackoff } : {}),
    journal: (tx, event) => {
      journalSessionEvent(tx, event)
      wakeWebhooks()
    }
  })
  const queue = new SendQueue({
    db,
    cipher: createPayloadCipher(config.INTERNAL_SECRET),
    logger: logger.child({ module: 'send-queue' }),
    socketOf: sessionId => sessions.connectedSocket(sessionId),
    clock,
    ackTimeoutMs: config.ACK_TIMEOUT_MS,
    onChange: (tx, change) => {
      journalMessageChange(tx, change, clock())
      otpFollowsMessage(tx, change.message, clock())
      wakeWebhooks()
    }
  })
  sessions.onEvent(event => {
    if (event.type === 'status') logger.info({ sessionId: event.sessionId, status: event.status }, 'session status')
    if (event.type === 'qr' && sandbox) void sandbox.autoLink(event.sessionId, event.qr)
    queue.onSessionEvent(event)
  })
  const recipients = createRecipientCheck({ clock })
  const otps = createOtpService({ db, queue, sessions, clock, onEvent: wakeWebhooks })
  const upkeep = createUpkeep({
    clock,
    logger,
    ...(options.upkeepEveryMs ? { everyMs: options.upkeepEveryMs } : {}),
    jobs: [
      { name: 'send deadlines', run: () => queue.sweep() },
      { name: 'OTP expiry', run: now => void (expireDueOtps(db, now) > 0 && wakeWebhooks()) },
      { name: 'Idempotency-Key retention', run: now => forgetExpiredIdempotencyKeys(db, now) },
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
    recipients,
    internalSecret: config.INTERNAL_SECRET,
    logger,
    databaseWritable: database.canWrite,
    media: { outboxDir, spool, fetchPolicy: { allowHosts: config.MEDIA_URL_ALLOW_HOSTS, timeoutMs: config.MEDIA_FETCH_TIMEOUT_MS, maxRedirects: 5 } },
    ...(sandbox ? { sandbox } : {})
  })

  let stopped: Promise<void> | undefined
  return {
    app,
    db,
    sessions,
    queue,
    webhooks,
    upkeep,
    spool,
    outboxDir,
    /**
     * The emulator first (sandbox sessions connect to it), then the queue (messages a crash left
     * half-sent are back in line before their sessions connect), then the sessions and the outbox.
     */
    async start(): Promise<void> {
      await sandbox?.start()
      syncGlobalEndpoint(db, { url: config.WEBHOOK_URL, secrets: config.WEBHOOK_SECRET, events: config.WEBHOOK_EVENTS })
      queue.start()
      upkeep.start()
      sessions.restore()
      webhooks?.start()
    },
    /** In reverse; a second call waits for the first. */
    stop(): Promise<void> {
      stopped ??= (async () => {
        upkeep.stop()
        queue.stop()
        await sessions.stopAll()
        await webhooks?.stop()
        await sandbox?.stop()
        database.close()
        spool.close()
      })()
      return stopped
    }
  }
}
