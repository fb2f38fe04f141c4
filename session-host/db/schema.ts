import { sql } from 'drizzle-orm'
import { check, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'
import { SESSION_STATUSES } from '../../shared/sessions.ts'
import { HOST_STATUSES, MESSAGE_STATUSES, OTP_STATUSES, WEBHOOK_DELIVERY_STATUSES } from '../../shared/statuses.ts'
import type { LinkFailure } from '../../shared/sessions.ts'
import type { GovernorSettings, WhatsAppNewChatCap } from '../../shared/send-governor.ts'

/** One linked (or linking) WhatsApp account, known by the ID the operator chose. */
export const sessions = sqliteTable('sessions', {
  id: text('id').primaryKey(),
  status: text('status', { enum: SESSION_STATUSES }).notNull().default('connecting'),
  phoneNumber: text('phone_number'),
  /** The name the phone lists the device under; null keeps the default. */
  deviceLabel: text('device_label'),
  /** Why linking failed, while the status is `link_failed`. */
  linkFailure: text('link_failure', { mode: 'json' }).$type<LinkFailure>(),
  /** When the session was last connected: set as it connects and as it stops being connected. */
  lastSeenAt: integer('last_seen_at', { mode: 'timestamp_ms' }),
  createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull().default(sql`(unixepoch('subsec') * 1000)`),
  updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull().default(sql`(unixepoch('subsec') * 1000)`)
})

/** Baileys' `AuthenticationCreds` for a session, as BufferJSON text. */
export const authCreds = sqliteTable('auth_creds', {
  sessionId: text('session_id')
    .primaryKey()
    .references(() => sessions.id, { onDelete: 'cascade' }),
  creds: text('creds').notNull()
})

/** Baileys' signal keys (pre-keys, sessions, sender keys, app-state keys…), one row per key. */
export const authKeys = sqliteTable(
  'auth_keys',
  {
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    type: text('type').notNull(),
    keyId: text('key_id').notNull(),
    value: text('value').notNull()
  },
  table => [primaryKey({ columns: [table.sessionId, table.type, table.keyId] })]
)

/**
 * One-time codes sent through a session. Only a keyed hash of the code is stored: the gateway holds
 * the pepper, so a copy of this file does not reveal codes.
 */
export const otps = sqliteTable(
  'otps',
  {
    id: text('id').primaryKey(),
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    /** E.164 digits, without '+'. */
    destination: text('destination').notNull(),
    codeHash: text('code_hash').notNull(),
    status: text('status', { enum: OTP_STATUSES }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    maxAttempts: integer('max_attempts').notNull().default(5),
    expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
    messageId: text('message_id'),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull().default(sql`(unixepoch('subsec') * 1000)`),
    updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull().default(sql`(unixepoch('subsec') * 1000)`),
    approvedAt: integer('approved_at', { mode: 'timestamp_ms' })
  },
  table => [
    // Latest OTP to a destination, and the send limits counted from created_at.
    index('otps_session_destination_created_idx').on(table.sessionId, table.destination, table.createdAt),
    // The expiry sweep: only pending OTPs, by expiry (queries must say status = 'pending' literally).
    index('otps_pending_expiry_idx').on(table.expiresAt).where(sql`status = 'pending'`),
    // The lists' keyset order (created_at DESC, id DESC), across sessions and within one.
    index('otps_created_id_idx').on(table.createdAt, table.id),
    index('otps_session_created_id_idx').on(table.sessionId, table.createdAt, table.id),
    // The gateway hashes `${otpId}:${code}`; a ':' in the id would make that input ambiguous.
    check('otps_id_no_colon', sql`instr(${table.id}, ':') = 0`)
  ]
)

/**
 * Where webhooks go: one endpoint per session (`session_id`), and the operator's global one
 * (`session_id` null, id `global`, synced from WEBHOOK_URL at start-up). `events` is a JSON array
 * of event types, or null for all; `secrets` a JSON array of `{ secret, expiresAt? }`, newest first
 * (an old secret stays active for a while after a rotation).
 */
export const webhookEndpoints = sqliteTable(
  'webhook_endpoints',
  {
    id: text('id').primaryKey(),
    sessionId: text('session_id').references(() => sessions.id, { onDelete: 'cascade' }),
    url: text('url').notNull(),
    events: text('events', { mode: 'json' }).$type<string[] | null>(),
    secrets: text('secrets', { mode: 'json' }).notNull().$type<{ secret: string; expiresAt?: number }[]>(),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull().default(sql`(unixepoch('subsec') * 1000)`),
    updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull().default(sql`(unixepoch('subsec') * 1000)`)
  },
  table => [uniqueIndex('webhook_endpoints_session_idx').on(table.sessionId)]
)

/**
 * The outbox: each event once, with a stable id and a per-session sequence number, written in the
 * same transaction as the change it reports. No foreign key to sessions: a session's last events
 * (its logout) outlive it.
 */
export const webhookEvents = sqliteTable(
  'webhook_events',
  {
    id: text('id').primaryKey(),
    sessionId: text('session_id').notNull(),
    seq: integer('seq').notNull(),
    type: text('type').notNull(),
    payload: text('payload', { mode: 'json' }).notNull().$type<Record<string, unknown>>(),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    /** Its place in the event stream (GET /api/events), given after commit; null until then. */
    streamPos: integer('stream_pos')
  },
  table => [
    uniqueIndex('webhook_events_session_seq_idx').on(table.sessionId, table.seq),
    // The stream reads in position order; the sequencer finds the events without one.
    uniqueIndex('webhook_events_stream_pos_idx').on(table.streamPos),
    // The retention sweep walks events by age.
    index('webhook_events_created_idx').on(table.createdAt)
  ]
)

/**
 * One event to one endpoint. Each (endpoint, session) stream is delivered in `seq` order: the
 * dispatcher only takes a stream's lowest pending delivery. `dead` after retrying for the whole
 * retry window; a replay makes it pending again.
 */
export const webhookDeliveries = sqliteTable(
  'webhook_deliveries',
  {
    eventId: text('event_id')
      .notNull()
      .references(() => webhookEvents.id, { onDelete: 'cascade' }),
    endpointId: text('endpoint_id')
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: 'cascade' }),
    sessionId: text('session_id').notNull(),
    seq: integer('seq').notNull(),
    status: text('status', { enum: WEBHOOK_DELIVERY_STATUSES }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: integer('next_attempt_at').notNull(),
    /** Start of the retry window; null until the first failure. */
    firstFailedAt: integer('first_failed_at'),
    lastAttemptAt: integer('last_attempt_at'),
    lastError: text('last_error'),
    /** The receiver's HTTP status on the last attempt; null when none answered. */
    lastStatusCode: integer('last_status_code'),
    deliveredAt: integer('delivered_at'),
    deadAt: integer('dead_at')
  },
  table => [
    primaryKey({ columns: [table.endpointId, table.eventId] }),
    // The head of each stream, and the due heads.
    index('webhook_deliveries_stream_idx').on(table.endpointId, table.sessionId, table.status, table.seq),
    index('webhook_deliveries_due_idx').on(table.status, table.nextAttemptAt),
    // An event's deliveries: the retention sweep's check and the cascade when an event goes.
    index('webhook_deliveries_event_idx').on(table.eventId, table.status)
  ]
)

/**
 * Outbound messages: a send is recorded here before it is attempted, so a reconnect or a crash
 * never loses it. The id is the WhatsApp message id, chosen before the first attempt, so a resend
 * after a crash carries the same id and the recipient's phone keeps one copy.
 */
export const messages = sqliteTable(
  'messages',
  {
    id: text('id').primaryKey(),
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    jid: text('jid').notNull(),
    kind: text('kind').notNull(),
    /** Its place in the session's line: ties of createdAt go out in the order they were accepted. */
    seq: integer('seq'),
    /** The sealed message content (see outbox/payload-cipher.ts); wiped once sent or failed. */
    payload: text('payload'),
    status: text('status', { enum: MESSAGE_STATUSES }).notNull().default('queued'),
    error: text('error'),
    otpId: text('otp_id').references(() => otps.id, { onDelete: 'set null' }),
    /** Never send after this moment: an OTP past its TTL is failed, not sent late. */
    notAfter: integer('not_after', { mode: 'timestamp_ms' }),
    attempts: integer('attempts').notNull().default(0),
    idempotencyKey: text('idempotency_key'),
    requestHash: text('request_hash'),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
    sentAt: integer('sent_at', { mode: 'timestamp_ms' }),
    deliveredAt: integer('delivered_at', { mode: 'timestamp_ms' }),
    readAt: integer('read_at', { mode: 'timestamp_ms' }),
    failedAt: integer('failed_at', { mode: 'timestamp_ms' })
  },
  table => [
    // SQLite treats NULLs as distinct, so only messages sent with a key take part.
    uniqueIndex('messages_session_idempotency_key_idx').on(table.sessionId, table.idempotencyKey),
    // The retention sweep: messages still holding a key, oldest first.
    index('messages_idempotency_created_idx').on(table.createdAt).where(sql`idempotency_key IS NOT NULL`),
    index('messages_session_status_idx').on(table.sessionId, table.status, table.createdAt),
    // The lists' keyset order (created_at DESC, id DESC), across sessions and within one.
    index('messages_created_id_idx').on(table.createdAt, table.id),
    index('messages_session_created_id_idx').on(table.sessionId, table.createdAt, table.id)
  ]
)

/**
 * The session hosts that share this database (one row with SQLite). Each registers as it starts,
 * heartbeats on the database clock while it lives, and says `stopping`, then `stopped`, as it hands
 * its sessions over. `url` is how the gateway and the other hosts reach it (HOST_ADVERTISE_URL).
 */
export const hosts = sqliteTable('hosts', {
  id: text('id').primaryKey(),
  url: text('url').notNull(),
  status: text('status', { enum: HOST_STATUSES }).notNull().default('up'),
  startedAt: integer('started_at', { mode: 'timestamp_ms' }).notNull(),
  heartbeatAt: integer('heartbeat_at', { mode: 'timestamp_ms' }).notNull()
})

/**
 * Which host runs a session: the lease `owner` (a host id, or null when free) holds it until
 * `expires_at` (database clock) and renews it while it lives. Each take-over bumps `generation`;
 * every auth-state write and every send names owner and generation in its own statement, so a host
 * that lost the lease (paused, cut off, slow) changes nothing.
 */
export const sessionLeases = sqliteTable(
  'session_leases',
  {
    sessionId: text('session_id')
      .primaryKey()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    owner: text('owner'),
    generation: integer('generation').notNull().default(0),
    expiresAt: integer('expires_at', { mode: 'timestamp_ms' })
  },
  table => [index('session_leases_owner_idx').on(table.owner)]
)

/**
 * What WhatsApp answered when a session asked whether a number has an account (a usync contact
 * query), kept for RECIPIENT_CHECK_TTL_MS so a burst to one number costs one query and a restart
 * or a move to another host keeps the answers.
 */
export const recipientChecks = sqliteTable(
  'recipient_checks',
  {
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    jid: text('jid').notNull(),
    onWhatsApp: integer('on_whatsapp', { mode: 'boolean' }).notNull(),
    checkedAt: integer('checked_at', { mode: 'timestamp_ms' }).notNull()
  },
  table => [primaryKey({ columns: [table.sessionId, table.jid] })]
)

/**
 * The phone number behind a LID (WhatsApp's privacy id) as the session learnt it, so an inbound
 * message that arrives with only a LID still names its sender's number.
 */
export const lidMappings = sqliteTable(
  'lid_mappings',
  {
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    /** The LID's user part (digits before `@lid`). */
    lid: text('lid').notNull(),
    /** E.164 digits, without '+'. */
    phone: text('phone').notNull(),
    updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull()
  },
  table => [primaryKey({ columns: [table.sessionId, table.lid] }), index('lid_mappings_phone_idx').on(table.sessionId, table.phone)]
)

/**
 * The send governor's state for a session: its own settings (null: the host's defaults), today's
 * count of new chats, the last first message, the 463 breaker and WhatsApp's own new-chat cap as
 * last reported. One row per session, written in the send's transaction.
 */
export const sendGovernor = sqliteTable('send_governor', {
  sessionId: text('session_id')
    .primaryKey()
    .references(() => sessions.id, { onDelete: 'cascade' }),
  settings: text('settings', { mode: 'json' }).$type<GovernorSettings>(),
  /** When the account was first seen connected: the daily cap grows with its age. */
  linkedAt: integer('linked_at', { mode: 'timestamp_ms' }),
  /** The UTC day `newChats` counts (YYYY-MM-DD). */
  day: text('day').notNull().default(''),
  newChats: integer('new_chats').notNull().default(0),
  /** The earliest moment the next first message to a new chat may go (jittered pacing). */
  nextNewChatAt: integer('next_new_chat_at', { mode: 'timestamp_ms' }),
  /** 463 refusals since the last accepted message. */
  refusalsInRow: integer('refusals_in_row').notNull().default(0),
  /** Set while new chats are paused (the breaker), with the reason. */
  pausedAt: integer('paused_at', { mode: 'timestamp_ms' }),
  pausedReason: text('paused_reason'),
  /** WhatsApp's new-chat cap (`message-capping.update` / `fetchNewChatMessageCap`), as last reported. */
  whatsappCap: text('whatsapp_cap', { mode: 'json' }).$type<WhatsAppNewChatCap>()
})

/** The chats a session has written to or heard from: a first message to anyone else starts a new chat. */
export const knownChats = sqliteTable(
  'known_chats',
  {
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    jid: text('jid').notNull(),
    firstAt: integer('first_at', { mode: 'timestamp_ms' }).notNull()
  },
  table => [primaryKey({ columns: [table.sessionId, table.jid] })]
)
