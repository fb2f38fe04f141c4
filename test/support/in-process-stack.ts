import { lookup } from 'node:dns/promises'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { mintToken } from '../../gateway/auth/mint-token.ts'
import type { Scope } from '../../gateway/auth/scopes.ts'
import { buildGateway } from '../../gateway/build-gateway.ts'
import { parseGatewayConfig } from '../../gateway/env/config.ts'
import { createNodeWebhookFetch } from '../../gateway/node/webhook-fetch.ts'
import type { ResolveHost } from '../../gateway/node/webhook-fetch.ts'
import { parseHostConfig } from '../../session-host/config.ts'
import { createHost } from '../../session-host/create-host.ts'
import { baileysTrustConfig, makeTrustingAgents, WaSim } from '../../session-host/sim/index.ts'
import type { Call, Envelope } from './api-envelope.ts'
import { linkSessionThroughApi } from './link-session.ts'
import { auditedLogger, recordCodesSent, recordSensitive } from './log-audit.ts'
import type { SendWebhook } from '../../session-host/webhooks/dispatcher.ts'
import { gatewaySender } from '../../session-host/webhooks/gateway-sender.ts'
import { MAX_PHONE_NUMBERS } from '../../shared/phone-max.ts'

export const JWT_SECRET = 'jwt-secret-for-tests-0123456789abcdef'
export const INTERNAL_SECRET = 'internal-secret-for-tests-0123456789'
const OTP_PEPPER = 'pepper-for-tests-0123456789abcdef'
/** The gateway's METRICS_TOKEN: the scraper's bearer for GET /metrics. */
export const METRICS_TOKEN = 'metrics-token-for-tests-0123456789ab'

export type HostOptions = {
  clock?: () => number
  media?: boolean
  /** Media URLs may reach these loopback hosts (`host:port`), as MEDIA_URL_ALLOW_HOSTS says. */
  mediaAllowHosts?: string
  /** Where webhook deliveries go; without it events are stored and never delivered. */
  sendWebhook?: SendWebhook
  /** WEBHOOK_RETRY_DELAYS_MS and WEBHOOK_RETRY_FOR_MS, as the operator writes them. */
  webhookRetry?: { delaysMs?: string; forMs?: string }
  ackTimeoutMs?: number
  /** More host settings, as an operator writes them (SEND_GOVERNOR=off, say). */
  env?: Record<string, string>
  /** WATCHDOG_TIMEOUT_MS and WATCHDOG_PROBE_MS, as the operator writes them. */
  watchdog?: { timeoutMs: string; probeMs: string }
  /** Baileys' keep-alive ping interval (its default is 30 s). */
  keepAliveIntervalMs?: number
  /** The sandbox's test numbers (a number ending in 0000 is not on WhatsApp, …), as sandbox mode has them. */
  magicNumbers?: boolean
}

/**
 * The host app with real Baileys sessions on the emulator and a temporary SQLite file, not yet
 * served: callers call it directly or put it behind a server.
 */
export const startInProcessHost = async ({ clock = Date.now, ...options }: HostOptions = {}) => {
  // Every well-formed number is a reachable contact, as in sandbox mode.
  const sim = new WaSim({ autoContacts: true, media: options.media ?? false, magicNumbers: options.magicNumbers ?? false })
  const url = await sim.start()
  // The emulator's media host has a run-time CA that only these sessions trust.
  const agents = options.media ? makeTrustingAgents(sim.media.caPem) : undefined
  const dir = mkdtempSync(join(tmpdir(), 'stack-'))
  const logger = auditedLogger('in-process-stack')
  recordSensitive(JWT_SECRET, INTERNAL_SECRET, OTP_PEPPER, METRICS_TOKEN)
  const config = parseHostConfig({
    INTERNAL_SECRET,
    DATA_DIR: dir,
    MEDIA_TMP_DIR: join(dir, 'spool'),
    MEDIA_FETCH_TIMEOUT_MS: '5000',
    ...(options.mediaAllowHosts ? { MEDIA_URL_ALLOW_HOSTS: options.mediaAllowHosts } : {}),
    ...(options.ackTimeoutMs ? { ACK_TIMEOUT_MS: String(options.ackTimeoutMs) } : {}),
    ...(options.webhookRetry?.delaysMs ? { WEBHOOK_RETRY_DELAYS_MS: options.webhookRetry.delaysMs } : {}),
    ...(options.webhookRetry?.forMs ? { WEBHOOK_RETRY_FOR_MS: options.webhookRetry.forMs } : {}),
    ...options.env,
    ...(options.watchdog ? { WATCHDOG_TIMEOUT_MS: options.watchdog.timeoutMs, WATCHDOG_PROBE_MS: options.watchdog.probeMs } : {})
  })
  const host = await createHost({
    config,
    logger,
    clock,
    socketConfig: () => ({
      waWebSocketUrl: url,
      connectTimeoutMs: 10_000,
      defaultQueryTimeoutMs: 10_000,
      ...(options.keepAliveIntervalMs ? { keepAliveIntervalMs: options.keepAliveIntervalMs } : {}),
      ...(agents ? baileysTrustConfig(agents) : {})
    }),
    reconnectBackoff: { baseMs: 50, maxMs: 200 },
    webhookPollMs: 50,
    ...(options.sendWebhook ? { sendWebhook: options.sendWebhook } : {})
  })
  await host.start()
  const stop = async () => {
    await host.stop()
    await agents?.close()
    await sim.stop()
    rmSync(dir, { recursive: true, force: true })
  }
  const { sessions, app: hostApp, spool, outboxDir, webhooks, queue, db, upkeep } = host
  return { sim, sessions, hostApp, logger, spool, outboxDir, webhooks, queue, upkeep, db, stop }
}

/**
 * The gateway, the host app and real Baileys sessions on the emulator, in one process: the host
 * client's fetch calls the host app directly. A movable clock drives OTP expiry on the host.
 */
export const startInProcessStack = async (
  options: {
    maxBodyBytes?: number
    media?: boolean
    mediaAllowHosts?: string
    webhookRetry?: HostOptions['webhookRetry']
    webhookResolve?: ResolveHost
    /** More host settings, as an operator writes them. */
    hostEnv?: Record<string, string>
    /** More gateway settings. */
    gatewayEnv?: Record<string, string>
    watchdog?: HostOptions['watchdog']
    keepAliveIntervalMs?: number
    magicNumbers?: boolean
  } = {}
) => {
  let offsetMs = 0
  const clock = () => Date.now() + offsetMs
  const webhookSender: { current?: SendWebhook } = {}
  const { sim, sessions, hostApp, logger, spool, outboxDir, webhooks, upkeep, db, stop } = await startInProcessHost({
    clock,
    ...(options.media ? { media: true } : {}),
    ...(options.mediaAllowHosts ? { mediaAllowHosts: options.mediaAllowHosts } : {}),
    ...(options.webhookRetry ? { webhookRetry: options.webhookRetry } : {}),
    ...(options.hostEnv ? { env: options.hostEnv } : {}),
    ...(options.watchdog ? { watchdog: options.watchdog } : {}),
    ...(options.keepAliveIntervalMs ? { keepAliveIntervalMs: options.keepAliveIntervalMs } : {}),
    ...(options.magicNumbers ? { magicNumbers: true } : {}),
    sendWebhook: delivery => (webhookSender.current ? webhookSender.current(delivery) : Promise.resolve({ delivered: false, error: 'gateway not ready' }))
  })
  const otpMessageIds: string[] = []
  const config = parseGatewayConfig({
    HOST_URL: 'http://host.internal',
    INTERNAL_SECRET,
    JWT_SECRET,
    JWT_AUDIENCE: 'otp-gateway',
    OTP_PEPPER,
    METRICS_TOKEN,
    OTP_COMPANY_NAME: 'Toko Maju',
    MAX_BODY_BYTES: String(options.maxBodyBytes ?? 4096),
    // Test receivers listen on loopback.
    WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
    ...options.gatewayEnv
  })
  // Deliveries go out as the Node gateway sends them; a test may answer the DNS questions itself.
  const webhookFetch = createNodeWebhookFetch({
    resolve: options.webhookResolve ?? (name => lookup(name, { all: true, verbatim: true })),
    allowedHosts: config.WEBHOOK_ALLOWED_HOSTS
  })
  const gateway = buildGateway(config, {
    phoneNumbers: MAX_PHONE_NUMBERS,
    // The host client's requests go to the host app directly, signed as over the network.
    hostFetch: (input, init) => Promise.resolve(hostApp.request(String(input), init)),
    clock,
    webhookFetch,
    onUnexpectedError: (error, requestId) => logger.error({ err: error, requestId }, 'unexpected error')
  })
  // The reverse direction: the host hands webhook deliveries to the gateway app directly.
  webhookSender.current = gatewaySender({
    gatewayUrl: 'http://gateway.internal',
    secret: INTERNAL_SECRET,
    clock,
    fetch: (input, init) => Promise.resolve(gateway.request(String(input), init))
  })

  /** A token the gateway accepts; give a `ttlSeconds` longer than any `advanceClock` the test makes. */
  const token = async (scopes: string, extra: { sessions?: string[]; audience?: string; ttlSeconds?: number } = {}) => {
    const minted = await mintToken({
      secret: JWT_SECRET,
      scopes: scopes.split(' ') as Scope[],
      ttlSeconds: extra.ttlSeconds ?? 600,
      audience: extra.audience ?? 'otp-gateway',
      ...(extra.sessions ? { sessions: extra.sessions } : {})
    })
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
  const linkSession = async (sessionId: string, accountPn: string, extra: Record<string, unknown> = {}) =>
    linkSessionThroughApi({ call, sim, adminToken: await token('admin') }, sessionId, accountPn, extra)

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
    /** Runs the host's upkeep now (send deadlines, OTP expiry, retention), rather than at its next tick (every 5 s). */
    sweep: () => upkeep.run()
  }
}
