import { lookup } from 'node:dns/promises'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { mintToken } from '../../gateway/auth/mint-token.ts'
import type { Scope } from '../../gateway/auth/scopes.ts'
import { buildGateway } from '../../gateway/build-gateway.ts'
import { parseGatewayConfig } from '../../gateway/config.ts'
import { createNodeWebhookFetch } from '../../gateway/node/webhook-fetch.ts'
import type { ResolveHost } from '../../gateway/node/webhook-fetch.ts'
import { createHostApp } from '../../session-host/app.ts'
import { openDatabase } from '../../session-host/db/connection.ts'
import { startSendQueue } from '../../session-host/outbox/start-send-queue.ts'
import { SessionManager } from '../../session-host/sessions/session-manager.ts'
import { createUploadSpool } from '../../session-host/media/upload-spool.ts'
import type { FetchPolicy } from '../../session-host/media/safe-fetch.ts'
import { baileysTrustConfig, makeTrustingAgents, WaSim } from '../../session-host/sim/index.ts'
import { auditedLogger, recordCodesSent, recordSensitive } from './log-audit.ts'
import { WebhookDispatcher } from '../../session-host/webhooks/dispatcher.ts'
import type { SendWebhook } from '../../session-host/webhooks/dispatcher.ts'
import { gatewaySender } from '../../session-host/webhooks/gateway-sender.ts'
import type { RetryPolicy } from '../../session-host/webhooks/retry-schedule.ts'
import { journalSessionEvent } from '../../session-host/webhooks/session-events.ts'

export const JWT_SECRET = 'jwt-secret-for-tests-0123456789abcdef'
export const INTERNAL_SECRET = 'internal-secret-for-tests-0123456789'
const OTP_PEPPER = 'pepper-for-tests-0123456789abcdef'

export type Envelope = { success: boolean; message: string; data: unknown; error: { code: string; details?: Record<string, unknown> } }
export type Call = { status: number; headers: Headers; body: Envelope }

export type HostOptions = {
  clock?: () => number
  media?: boolean
  fetchPolicy?: FetchPolicy
  /** Where webhook deliveries go; without it events are stored and never delivered. */
  sendWebhook?: SendWebhook
  webhookRetry?: Partial<RetryPolicy>
  ackTimeoutMs?: number
}

/**
 * The host app with real Baileys sessions on the emulator and a temporary SQLite file, not yet
 * served: callers call it directly or put it behind a server.
 */
export const startInProcessHost = async ({ clock = Date.now, ...options }: HostOptions = {}) => {
  // Every well-formed number is a reachable contact, as in sandbox mode.
  const sim = new WaSim({ autoContacts: true, media: options.media ?? false })
  const url = await sim.start()
  // The emulator's media host has a run-time CA that only these sessions trust.
  const agents = options.media ? makeTrustingAgents(sim.media.caPem) : undefined
  const dir = mkdtempSync(join(tmpdir(), 'stack-'))
  const spool = createUploadSpool(join(dir, 'spool'))
  const database = openDatabase(join(dir, 'host.db'))
  const logger = auditedLogger('in-process-stack')
  recordSensitive(JWT_SECRET, INTERNAL_SECRET, OTP_PEPPER)
  const queue = startSendQueue({ db: database.db, logger, internalSecret: INTERNAL_SECRET, sessions: () => sessions, wakeWebhooks: () => webhooks?.wake(), clock, ...(options.ackTimeoutMs ? { ackTimeoutMs: options.ackTimeoutMs } : {}) })
  const sessions: SessionManager = new SessionManager({
    db: database.db,
    logger,
    onEvent: event => queue.onSessionEvent(event),
    socketConfig: () => ({ waWebSocketUrl: url, connectTimeoutMs: 10_000, defaultQueryTimeoutMs: 10_000, ...(agents ? baileysTrustConfig(agents) : {}) }),
    backoff: { baseMs: 50, maxMs: 200 },
    journal: (tx, event) => {
      journalSessionEvent(tx, event)
      webhooks?.wake()
    }
  })
  const webhooks = options.sendWebhook
    ? new WebhookDispatcher({ db: database.db, logger, clock, pollMs: 50, ...(options.webhookRetry ? { retry: options.webhookRetry } : {}), send: options.sendWebhook })
    : undefined
  webhooks?.start()
  const hostApp = createHostApp({ db: database.db, clock, sessions, internalSecret: INTERNAL_SECRET, logger, queue, wakeWebhooks: () => webhooks?.wake(), media: { outboxDir: join(dir, 'outbox-files'), spool, ...(options.fetchPolicy ? { fetchPolicy: options.fetchPolicy } : {}) } })
  const stop = async () => {
    queue.stop()
    await webhooks?.stop()
    await sessions.stopAll()
    await agents?.close()
    await sim.stop()
    database.close()
    spool.close()
    rmSync(dir, { recursive: true, force: true })
  }
  return { sim, sessions, hostApp, logger, spool, outboxDir: join(dir, 'outbox-files'), webhooks, queue, db: database.db, stop }
}

/**
 * The gateway, the host app and real Baileys sessions on the emulator, in one process: the host
 * client's fetch calls the host app directly. A movable clock drives OTP expiry on the host.
 */
export const startInProcessStack = async (
  options: { maxBodyBytes?: number; media?: boolean; fetchPolicy?: FetchPolicy; webhookRetry?: Partial<RetryPolicy>; webhookResolve?: ResolveHost } = {}
) => {
  let offsetMs = 0
  const clock = () => Date.now() + offsetMs
  const webhookSender: { current?: SendWebhook } = {}
  const { sim, sessions, hostApp, logger, spool, outboxDir, webhooks, queue, db, stop } = await startInProcessHost({
    clock,
    ...(options.media ? { media: true } : {}),
    ...(options.fetchPolicy ? { fetchPolicy: options.fetchPolicy } : {}),
    ...(options.webhookRetry ? { webhookRetry: options.webhookRetry } : {}),
    sendWebhook: delivery => (webhookSender.current ? webhookSender.current(delivery) : Promise.resolve({ delivered: false, error: 'gateway not ready' }))
  })
  const otpMessageIds: string[] = []
  const config = parseGatewayConfig({
    HOST_URL: 'http://host.internal',
    INTERNAL_SECRET,
    JWT_SECRET,
    JWT_AUDIENCE: 'otp-gateway',
    OTP_PEPPER,
    OTP_COMPANY_NAME: 'Toko Maju',
    MAX_BODY_BYTES: String(options.maxBodyBytes ?? 4096),
    // Test receivers listen on loopback.
    WEBHOOK_ALLOWED_HOSTS: '127.0.0.1'
  })
  // Deliveries go out as the Node gateway sends them; a test may answer the DNS questions itself.
  const webhookFetch = createNodeWebhookFetch({ resolve: options.webhookResolve ?? (name => lookup(name, { all: true, verbatim: true })), allowedHosts: config.WEBHOOK_ALLOWED_HOSTS })
  const gateway = buildGateway(config, {
    // The host client's requests go to the host app directly, signed as over the network.
    hostFetch: (input, init) => Promise.resolve(hostApp.request(String(input), init)),
    clock,
    webhookFetch,
    onUnexpectedError: (error, requestId) => logger.error({ err: error, requestId }, 'unexpected error')
  })
  // The reverse direction: the host hands webhook deliveries to the gateway app directly.
  webhookSender.current = gatewaySender({ gatewayUrl: 'http://gateway.internal', secret: INTERNAL_SECRET, clock, fetch: (input, init) => Promise.resolve(gateway.request(String(input), init)) })

  /** A token the gateway accepts; give a `ttlSeconds` longer than any `advanceClock` the test makes. */
  const token = async (scopes: string, extra: { sessions?: string[]; audience?: string; ttlSeconds?: number } = {}) => {
    const minted = await mintToken({ secret: JWT_SECRET, scopes: scopes.split(' ') as Scope[], ttlSeconds: extra.ttlSeconds ?? 600, audience: extra.audience ?? 'otp-gateway', ...(extra.sessions ? { sessions: extra.sessions } : {}) })
    recordSensitive(minted)
    return minted
  }

  const call = async (method: string, path: string, init: { token?: string; body?: unknown; raw?: string } = {}): Promise<Call> => {
    const headers: Record<string, string> = { 'content-type': 'application/json' }
    if (init.token) headers.authorization = `Bearer ${init.token}`
    const body = init.raw ?? (init.body === undefined ? undefined : JSON.stringify(init.body))
    const response = await gateway.request(path, { method, headers, ...(body === undefined ? {} : { body }) })
    const envelope = (await response.json().catch(() => undefined)) as Envelope
    // The log audit learns every code: the caller's own, and those the gateway generated.
    if (path.endsWith('/otp') && method === 'POST') {
      recordSensitive((init.body as { code?: string } | undefined)?.code)
      const messageId = (envelope?.data as { messageId?: string } | undefined)?.messageId
      if (messageId) otpMessageIds.push(messageId)
    }
    return { status: response.status, headers: response.headers, body: envelope }
  }

  /** Creates a session through the API (with `extra` create fields) and links it with the emulator's phone. */
  const linkSession = async (sessionId: string, accountPn: string, extra: Record<string, unknown> = {}): Promise<Envelope['data']> => {
    const admin = await token('admin')
    const created = await call('POST', '/api/sessions/create', { token: admin, body: { sessionId, ...extra } })
    if (created.status !== 201) throw new Error(`create failed: ${created.status}`)
    await sim.linkWithQr(async () => {
      const response = await call('GET', `/api/sessions/${sessionId}/qr`, { token: admin })
      return response.status === 200 ? (response.body.data as { qr: string }).qr : undefined
    }, { accountPn })
    for (let i = 0; i < 300 && sessions.view(sessionId).status !== 'connected'; i++) await new Promise(resolve => setTimeout(resolve, 20))
    if (sessions.view(sessionId).status !== 'connected') throw new Error('session did not connect')
    return created.body.data
  }

  const stopStack = async () => {
    recordCodesSent(sim.sent.filter(m => otpMessageIds.includes(m.id)))
    await stop()
    await webhookFetch.close()
  }

  return {
    sim,
    sessions,
    gateway,
    spool,
    outboxDir,
    webhooks,
    db,
    call,
    token,
    linkSession,
    stop: stopStack,
    advanceClock: (ms: number) => (offsetMs += ms),
    /** Runs the host's periodic sweep now, rather than at its next tick (every 5 s). */
    sweep: () => queue.sweep()
  }
}
