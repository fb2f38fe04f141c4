import { hostname } from 'node:os'
import { z } from 'zod'
import { parseAllowedHosts } from '../shared/allowed-hosts.ts'
import { LOG_SETTINGS } from '../shared/logger.ts'
import { WEBHOOK_EVENT_TYPES } from '../shared/webhook-events.ts'
import { DEFAULT_RETRY_POLICY } from './webhooks/retry-schedule.ts'
import type { RetryPolicy } from './webhooks/retry-schedule.ts'
import type { GovernorDefaults } from './governor/governor-policy.ts'

const list = (text: string | undefined): string[] => (text ?? '').split(/[\s,]+/).filter(Boolean)

/** The session host's settings, from the environment, parsed once at start-up. */
export const HostConfigSchema = z
  .object({
    HOST_PORT: z.coerce.number().int().min(0).max(65_535).default(3001),
    /** Loopback unless the operator says otherwise: the host trusts no network. */
    HOST_BIND: z.string().default('127.0.0.1'),
    DATA_DIR: z.string().default('./data'),
    /**
     * A postgres:// URL puts the host's state in PostgreSQL (several hosts can share it); without it
     * the host keeps it in SQLite under DATA_DIR. Never logged: it may hold a password.
     */
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
      .optional(),
    INTERNAL_SECRET: z.string().min(32, 'must be at least 32 characters'),
    WA_MODE: z.enum(['live', 'sandbox']).default('live'),
    /** Another WhatsApp Web endpoint for live mode, such as an emulator run by a test suite. */
    WA_WEBSOCKET_URL: z.url().optional(),
    /**
     * With WA_WEBSOCKET_URL: the hex public key of the root that endpoint's noise certificates are
     * signed by (an emulator's own, where WhatsApp's is the default). Only for emulators and test servers.
     */
    WA_NOISE_ROOT_KEY: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, 'must be a 32-byte key in hex')
      .transform(hex => Buffer.from(hex, 'hex'))
      .optional(),
    /** Parent of this process's media spool folder (uploads and fetched files while they are sent). */
    MEDIA_TMP_DIR: z.string().optional(),
    /**
     * For tests only: hosts (`host`, or `host:port` for one port) a media URL may point at although
     * they are loopback or private (a local file server). Empty by default; never set it in production.
     */
    MEDIA_URL_ALLOW_HOSTS: z.string().default('').transform(parseAllowedHosts),
    MEDIA_FETCH_TIMEOUT_MS: z.coerce.number().int().min(1000).max(300_000).default(30_000),
    ...LOG_SETTINGS,
    /** How long a sent message may wait for WhatsApp's ack before it is `failed` (`not_acknowledged`). */
    ACK_TIMEOUT_MS: z.coerce.number().int().min(1000).max(600_000).default(60_000),
    /**
     * A connected session whose send waits this long for its ack while the probe sent halfway goes
     * unanswered, or whose probe query waits this long, is closed and reconnected (`reason:
     * 'unresponsive'`); 0 turns the watchdog off. Below ACK_TIMEOUT_MS, the reconnect resends such a
     * message before it would be failed.
     */
    WATCHDOG_TIMEOUT_MS: z.coerce
      .number()
      .int()
      .max(600_000)
      .refine(ms => ms === 0 || ms >= 500, 'must be 0 (off) or at least 500')
      .default(30_000),
    /** At most this many sessions connect at once (a restart brings hundreds back in a steady stream). */
    SESSION_CONNECT_CONCURRENCY: z.coerce.number().int().min(1).max(1_000).default(16),
    /** How long a connected session may show no sign of life (an ack, a probe's answer) before it is probed. */
    WATCHDOG_PROBE_MS: z.coerce.number().int().min(500).max(3_600_000).default(60_000),
    /**
     * How long WhatsApp's answer on whether a number has an account is kept (per session, in the
     * database) before it is asked again; 0 asks before every send. A day by default: numbers seldom
     * join or leave WhatsApp, and each question is a contact lookup WhatsApp counts against the account.
     */
    RECIPIENT_CHECK_TTL_MS: z.coerce
      .number()
      .int()
      .min(0)
      .max(30 * 86_400_000)
      .default(86_400_000),
    /** Sandbox: when a recipient's phone sends its delivery receipt, then its read receipt. */
    SANDBOX_DELIVERED_AFTER_MS: z.coerce.number().int().min(0).max(600_000).default(1_000),
    SANDBOX_READ_AFTER_MS: z.coerce.number().int().min(0).max(3_600_000).default(3_000),
    /** Sandbox: how many sent messages `GET /api/sandbox/messages` remembers. */
    SANDBOX_SENT_LIMIT: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
    /** Sandbox fleet: the host that runs the fleet's one emulator; the others connect their sessions to it. */
    SANDBOX_HOME_URL: z.url({ protocol: /^https?$/ }).optional(),
    /** Where the host hands webhook deliveries (the gateway signs and sends them). */
    GATEWAY_URL: z.url().optional(),
    /** The operator's global webhook, for every session's events. */
    WEBHOOK_URL: z.url({ protocol: /^https?$/ }).optional(),
    /** `whsec_…` secrets, newest first, separated by spaces or commas (several while rotating). */
    WEBHOOK_SECRET: z
      .string()
      .optional()
      .transform(list)
      .refine(secrets => secrets.every(secret => /^whsec_[A-Za-z0-9+/]{32,}={0,2}$/.test(secret)), 'must be whsec_<base64> secrets'),
    /** The event types the global webhook gets, comma-separated; all when unset. */
    WEBHOOK_EVENTS: z
      .string()
      .optional()
      .transform(text => (text ? list(text) : undefined))
      .pipe(z.array(z.enum(WEBHOOK_EVENT_TYPES)).min(1).optional()),
    /**
     * The upper bounds of the jittered delays before retries 1, 2, … (the last repeats), in
     * milliseconds; unset keeps 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 4 h, 8 h.
     */
    WEBHOOK_RETRY_DELAYS_MS: z
      .string()
      .optional()
      .transform(text => (text ? list(text).map(Number) : undefined))
      .pipe(z.array(z.number().int().min(1).max(86_400_000)).min(1).optional()),
    /** How long after its first failure an event is retried before it is dead-lettered; default 24 h. */
    WEBHOOK_RETRY_FOR_MS: z.coerce.number().int().min(1).optional(),
    /** This host's name in the fleet (unique per host sharing a database; stable across restarts). Default: `<hostname>-<port>`. */
    HOST_ID: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, . _ - (at most 64)')
      .optional(),
    /** How the gateway and the other hosts reach this host. Default: http://<HOST_BIND, or 127.0.0.1>:<HOST_PORT>. */
    HOST_ADVERTISE_URL: z.url({ protocol: /^https?$/ }).optional(),
    /** How long a session's lease lasts unrenewed: after a crash, its sessions move this much later. */
    LEASE_MS: z.coerce.number().int().min(2_000).max(600_000).default(10_000),
    /** How often the host heartbeats, renews its leases and claims free sessions (jittered). */
    FLEET_TICK_MS: z.coerce.number().int().min(100).max(60_000).default(1_000),
    /** At most this many sessions a host takes over per tick after a crash: reconnects come in waves. */
    FLEET_WAVE: z.coerce.number().int().min(1).max(1_000).default(10),
    /** The send governor (pacing and caps on first messages to new chats): on unless `off`. */
    SEND_GOVERNOR: z.enum(['on', 'off']).default('on'),
    /** New chats a freshly linked account may start on its first day; one more such step per day of age. */
    SEND_GOVERNOR_NEW_CHATS_START: z.coerce.number().int().min(0).max(100_000).default(20),
    /** The most new chats a day, however old the account. */
    SEND_GOVERNOR_NEW_CHATS_MAX: z.coerce.number().int().min(0).max(100_000).default(200),
    /** The mean gap between first messages to new chats (each gap is jittered ±50%). */
    SEND_GOVERNOR_GAP_MS: z.coerce.number().int().min(0).max(3_600_000).default(8_000),
    /** 463 refusals in a row that pause new chats (the breaker). */
    SEND_GOVERNOR_BREAKER_463: z.coerce.number().int().min(1).max(1_000).default(3),
    /** How long the breaker pauses new chats, unless the operator resumes them first. */
    SEND_GOVERNOR_PAUSE_MS: z.coerce
      .number()
      .int()
      .min(1_000)
      .max(30 * 86_400_000)
      .default(6 * 3_600_000)
  })
  .refine(env => !env.WEBHOOK_URL || env.WEBHOOK_SECRET.length > 0, { message: 'WEBHOOK_URL needs WEBHOOK_SECRET', path: ['WEBHOOK_SECRET'] })
  .refine(env => !env.WA_NOISE_ROOT_KEY || env.WA_WEBSOCKET_URL, {
    message: 'only applies with WA_WEBSOCKET_URL (WhatsApp itself signs with its own root)',
    path: ['WA_NOISE_ROOT_KEY']
  })
  .refine(env => env.FLEET_TICK_MS * 3 <= env.LEASE_MS, {
    message: 'must be at most a third of LEASE_MS, so a lease is renewed in time',
    path: ['FLEET_TICK_MS']
  })
  .transform(env => ({
    ...env,
    HOST_ID:
      env.HOST_ID ??
      `${hostname()
        .replace(/[^A-Za-z0-9_.-]/g, '-')
        .slice(0, 50)}-${env.HOST_PORT}`,
    HOST_ADVERTISE_URL:
      env.HOST_ADVERTISE_URL ?? `http://${env.HOST_BIND === '0.0.0.0' || env.HOST_BIND === '::' ? '127.0.0.1' : env.HOST_BIND}:${env.HOST_PORT}`
  }))

export type HostConfig = z.infer<typeof HostConfigSchema>

/** Parses the environment, or throws an error that names each bad variable (never its value). */
export const parseHostConfig = (env: Record<string, string | undefined>): HostConfig => {
  const result = HostConfigSchema.safeParse(env)
  if (result.success) return result.data
  throw new Error(`Invalid session host configuration: ${result.error.issues.map(i => `${i.path.join('.')}: ${i.message}`).join('; ')}`)
}

/** The send governor's settings for every session (a session's own settings override some). */
export const governorDefaults = (config: HostConfig): GovernorDefaults => ({
  enabled: config.SEND_GOVERNOR === 'on',
  startPerDay: config.SEND_GOVERNOR_NEW_CHATS_START,
  maxPerDay: config.SEND_GOVERNOR_NEW_CHATS_MAX,
  gapMs: config.SEND_GOVERNOR_GAP_MS,
  breakerAfter: config.SEND_GOVERNOR_BREAKER_463,
  pauseMs: config.SEND_GOVERNOR_PAUSE_MS
})

/** The webhook retry settings the operator changed; the rest keep their defaults. */
export const retryPolicy = (config: HostConfig): Partial<RetryPolicy> => ({
  ...(config.WEBHOOK_RETRY_DELAYS_MS
    ? { capsMs: config.WEBHOOK_RETRY_DELAYS_MS, minDelayMs: Math.min(DEFAULT_RETRY_POLICY.minDelayMs, ...config.WEBHOOK_RETRY_DELAYS_MS) }
    : {}),
  ...(config.WEBHOOK_RETRY_FOR_MS ? { retryForMs: config.WEBHOOK_RETRY_FOR_MS } : {})
})
