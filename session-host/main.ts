import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { serve } from '@hono/node-server'
import type { AddressInfo } from 'node:net'
import pino from 'pino'
import pretty from 'pino-pretty'
import { answerClientError } from '../shared/client-error-response.ts'
import { createHostApp } from './app.ts'
import { parseHostConfig, retryPolicy } from './config.ts'
import { openDatabase } from './db/connection.ts'
import { containLibsignalConsole } from './libsignal-console.ts'
import { buildLogger, logFormat } from '../shared/logger.ts'
import { createUploadSpool } from './media/upload-spool.ts'
import { Sandbox } from './sandbox.ts'
import { startSendQueue } from './outbox/start-send-queue.ts'
import { SessionManager } from './sessions/session-manager.ts'
import { WebhookDispatcher } from './webhooks/dispatcher.ts'
import { syncGlobalEndpoint } from './webhooks/endpoints.ts'
import { gatewaySender } from './webhooks/gateway-sender.ts'
import { journalSessionEvent } from './webhooks/session-events.ts'

/** Starts in order (database, sandbox, sessions, server) and stops in reverse on SIGTERM/SIGINT. */
const main = async (): Promise<void> => {
  const config = parseHostConfig(process.env)
  const logger = buildLogger({ pino, pretty }, { name: 'session-host', level: config.LOG_LEVEL, format: logFormat(config), colorize: process.stdout.isTTY })
  containLibsignalConsole(logger)
  const database = openDatabase(join(config.DATA_DIR, 'host.db'))
  const spool = createUploadSpool(config.MEDIA_TMP_DIR ?? tmpdir())
  // Baileys writes its encrypted copies to os.tmpdir(): pointing that at the spool folder means
  // whatever it fails to remove goes when the spool does.
  process.env.TMPDIR = spool.dir
  if (config.MEDIA_URL_ALLOW_HOSTS.length > 0) logger.warn({ hosts: config.MEDIA_URL_ALLOW_HOSTS }, 'media URLs may reach these hosts although they are private (MEDIA_URL_ALLOW_HOSTS)')
  syncGlobalEndpoint(database.db, { url: config.WEBHOOK_URL, secrets: config.WEBHOOK_SECRET, events: config.WEBHOOK_EVENTS })
  if (!config.GATEWAY_URL) logger.warn('GATEWAY_URL is not set: webhook events are stored but not delivered')
  const webhooks = config.GATEWAY_URL
    ? new WebhookDispatcher({ db: database.db, logger, retry: retryPolicy(config), send: gatewaySender({ gatewayUrl: config.GATEWAY_URL, secret: config.INTERNAL_SECRET }) })
    : undefined
  const sandbox =
    config.WA_MODE === 'sandbox'
      ? new Sandbox(logger, {
          stateFile: join(config.DATA_DIR, 'sandbox-state.json'),
          receipts: { deliveredAfterMs: config.SANDBOX_DELIVERED_AFTER_MS, readAfterMs: config.SANDBOX_READ_AFTER_MS },
          sentLimit: config.SANDBOX_SENT_LIMIT
        })
      : undefined
  await sandbox?.start()
  const queue = startSendQueue({ db: database.db, logger, internalSecret: config.INTERNAL_SECRET, sessions: () => sessions, wakeWebhooks: () => webhooks?.wake(), ackTimeoutMs: config.ACK_TIMEOUT_MS })
  const sessions: SessionManager = new SessionManager({
    db: database.db,
    logger,
    ...(sandbox
      ? { socketConfig: () => sandbox.socketConfig() }
      : config.WA_WEBSOCKET_URL
        ? { socketConfig: () => ({ waWebSocketUrl: config.WA_WEBSOCKET_URL }) }
        : {}),
    journal: (tx, event) => {
      journalSessionEvent(tx, event)
      webhooks?.wake()
    },
    onEvent: event => {
      if (event.type === 'qr' && sandbox) void sandbox.autoLink(event.sessionId, event.qr)
      if (event.type === 'status') logger.info({ sessionId: event.sessionId, status: event.status }, 'session status')
      queue.onSessionEvent(event)
    }
  })
  sessions.restore()
  webhooks?.start()
  const app = createHostApp({
    db: database.db,
    databaseWritable: database.canWrite,
    sessions,
    internalSecret: config.INTERNAL_SECRET,
    logger,
    queue,
    wakeWebhooks: () => webhooks?.wake(),
    media: { outboxDir: join(config.DATA_DIR, 'outbox-files'), spool, fetchPolicy: { allowHosts: config.MEDIA_URL_ALLOW_HOSTS, timeoutMs: config.MEDIA_FETCH_TIMEOUT_MS, maxRedirects: 5 } },
    ...(sandbox
      ? {
          sandbox: sandbox.routes({
            list: () => sessions.list(),
            numberOf: sessionId => sessions.view(sessionId).phoneNumber
          })
        }
      : {})
  })
  const server = serve({ fetch: app.fetch, port: config.HOST_PORT, hostname: config.HOST_BIND }, info => {
    logger.info({ port: (info as AddressInfo).port, bind: config.HOST_BIND, mode: config.WA_MODE }, 'session host listening')
  })
  // A request Node's parser refuses gets the envelope too, not an empty 400.
  server.on('clientError', answerClientError)

  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    logger.info({ signal }, 'session host stopping')
    const force = setTimeout(() => process.exit(1), 10_000).unref()
    await new Promise<void>(resolve => server.close(() => resolve()))
    queue.stop()
    await sessions.stopAll()
    await webhooks?.stop()
    await sandbox?.stop()
    database.close()
    spool.close()
    clearTimeout(force)
    process.exit(0)
  }
  process.on('SIGTERM', () => void stop('SIGTERM'))
  process.on('SIGINT', () => void stop('SIGINT'))
}

main().catch(error => {
  console.error(error instanceof Error ? error.message : error)
  process.exit(1)
})
