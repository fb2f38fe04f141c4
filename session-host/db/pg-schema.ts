import { sql } from 'drizzle-orm'
import { bigint, boolean, check, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core'
import { SESSION_STATUSES } from '../../shared/sessions.ts'
import { HOST_STATUSES, MESSAGE_STATUSES, OTP_STATUSES, WEBHOOK_DELIVERY_STATUSES } from '../../shared/statuses.ts'
import type { LinkFailure } from '../../shared/sessions.ts'
import type { GovernorSettings, WhatsAppNewChatCap } from '../../shared/send-governor.ts'

/**
 * The PostgreSQL twin of schema.ts, for hosts that share one database: the same tables, columns,
 * constraints and indexes, and the same row types, so code can pick a dialect without a cast
 * (schema-dialects.test.ts fails when the two drift). Comments on what a table means live in
 * schema.ts; the ones here say why a PostgreSQL type was chosen.
 *
 * - SQLite's timestamp_ms columns are `timestamptz(3)` in 'date' mode: rows still read as Date, and
 *   millisecond precision is what a JS Date holds, so a value written and read back compares equal
 *   (with the default microseconds, a now() default would not match the Date the app read).
 * - Plain integers that hold epoch milliseconds (webhook_deliveries' times) and the per-session
 *   `seq` are bigint in 'number' mode: epoch ms overflow int4, and SQLite's integers are 64-bit.
 * - JSON columns are jsonb: read back as objects, like SQLite's json-mode text.
 * - Status columns stay text with the same value lists (no pg enum type), as in SQLite: adding a
 *   status is then a code change, not a migration that alters a type.
 */

/** A millisecond-precision instant read as a Date, like SQLite's timestamp_ms. */
const instant = (name: string) => timestamp(name, { withTimezone: true, precision: 3, mode: 'date' })

/** Epoch milliseconds (or another 64-bit count) read as a number, like SQLite's integer. */
const int64 = (name: string) => bigint(name, { mode: 'number' })

export const sessions = pgTable('sessions', {
  id: text('id').primaryKey(),
  status: text('status', { enum: SESSION_STATUSES }).notNull().default('connecting'),
  phoneNumber: text('phone_number'),
  deviceLabel: text('device_label'),
  linkFailure: jsonb('link_failure').$type<LinkFailure>(),
  lastSeenAt: instant('last_seen_at'),
  createdAt: instant('created_at').notNull().defaultNow(),
  updatedAt: instant('updated_at').notNull().defaultNow()
})

export const authCreds = pgTable('auth_creds', {
  sessionId: text('session_id')
    .primaryKey()
    .references(() => sessions.id, { onDelete: 'cascade' }),
  // BufferJSON text, as in SQLite: Baileys serialises it, so the database need not parse it.
  creds: text('creds').notNull()
})

export const authKeys = pgTable(
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

export const otps = pgTable(
  'otps',
  {
    id: text('id').primaryKey(),
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    destination: text('destination').notNull(),
    codeHash: text('code_hash').notNull(),
    status: text('status', { enum: OTP_STATUSES }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    maxAttempts: integer('max_attempts').notNull().default(5),
    expiresAt: instant('expires_at').notNull(),
    messageId: text('message_id'),
    createdAt: instant('created_at').notNull().defaultNow(),
    updatedAt: instant('updated_at').notNull().defaultNow(),
    approvedAt: instant('approved_at')
  },
  table => [
    index('otps_session_destination_created_idx').on(table.sessionId, table.destination, table.createdAt),
    index('otps_pending_expiry_idx').on(table.expiresAt).where(sql`status = 'pending'`),
    index('otps_created_id_idx').on(table.createdAt, table.id),
    index('otps_session_created_id_idx').on(table.sessionId, table.createdAt, table.id),
    // strpos is PostgreSQL's instr: the gateway hashes `${otpId}:${code}`, so no ':' in the id.
    check('otps_id_no_colon', sql`strpos(${table.id}, ':') = 0`)
  ]
)

export const webhookEndpoints = pgTable(
  'webhook_endpoints',
  {
    id: text('id').primaryKey(),
    sessionId: text('session_id').references(() => sessions.id, { onDelete: 'cascade' }),
    url: text('url').notNull(),
    events: jsonb('events').$type<string[] | null>(),
    secrets: jsonb('secrets').notNull().$type<{ secret: string; expiresAt?: number }[]>(),
    createdAt: instant('created_at').notNull().defaultNow(),
    updatedAt: instant('updated_at').notNull().defaultNow()
  },
  // NULLs are distinct in PostgreSQL's unique indexes too, so only the global endpoint has none.
  table => [uniqueIndex('webhook_endpoints_session_idx').on(table.sessionId)]
)

export const webhookEvents = pgTable(
  'webhook_events',
  {
    id: text('id').primaryKey(),
    sessionId: text('session_id').notNull(),
    seq: int64('seq').notNull(),
    type: text('type').notNull(),
    payload: jsonb('payload').notNull().$type<Record<string, unknown>>(),
    createdAt: instant('created_at').notNull(),
    streamPos: int64('stream_pos')
  },
  table => [
    uniqueIndex('webhook_events_session_seq_idx').on(table.sessionId, table.seq),
    uniqueIndex('webhook_events_stream_pos_idx').on(table.streamPos),
    index('webhook_events_created_idx').on(table.createdAt)
  ]
)

export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    eventId: text('event_id')
      .notNull()
      .references(() => webhookEvents.id, { onDelete: 'cascade' }),
    endpointId: text('endpoint_id')
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: 'cascade' }),
    sessionId: text('session_id').notNull(),
    seq: int64('seq').notNull(),
    status: text('status', { enum: WEBHOOK_DELIVERY_STATUSES }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: int64('next_attempt_at').notNull(),
    firstFailedAt: int64('first_failed_at'),
    lastAttemptAt: int64('last_attempt_at'),
    lastError: text('last_error'),
    lastStatusCode: integer('last_status_code'),
    deliveredAt: int64('delivered_at'),
    deadAt: int64('dead_at')
  },
  table => [
    primaryKey({ columns: [table.endpointId, table.eventId] }),
    index('webhook_deliveries_stream_idx').on(table.endpointId, table.sessionId, table.status, table.seq),
    index('webhook_deliveries_due_idx').on(table.status, table.nextAttemptAt),
    index('webhook_deliveries_event_idx').on(table.eventId, table.status)
  ]
)

export const messages = pgTable(
  'messages',
  {
    id: text('id').primaryKey(),
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    jid: text('jid').notNull(),
    kind: text('kind').notNull(),
    seq: int64('seq'),
    payload: text('payload'),
    status: text('status', { enum: MESSAGE_STATUSES }).notNull().default('queued'),
    error: text('error'),
    otpId: text('otp_id').references(() => otps.id, { onDelete: 'set null' }),
    notAfter: instant('not_after'),
    attempts: integer('attempts').notNull().default(0),
    idempotencyKey: text('idempotency_key'),
    requestHash: text('request_hash'),
    createdAt: instant('created_at').notNull(),
    updatedAt: instant('updated_at').notNull(),
    sentAt: instant('sent_at'),
    deliveredAt: instant('delivered_at'),
    readAt: instant('read_at'),
    failedAt: instant('failed_at')
  },
  table => [
    // NULLs are distinct here as in SQLite, so only messages sent with a key take part.
    uniqueIndex('messages_session_idempotency_key_idx').on(table.sessionId, table.idempotencyKey),
    index('messages_idempotency_created_idx').on(table.createdAt).where(sql`idempotency_key IS NOT NULL`),
    index('messages_session_status_idx').on(table.sessionId, table.status, table.createdAt),
    index('messages_created_id_idx').on(table.createdAt, table.id),
    index('messages_session_created_id_idx').on(table.sessionId, table.createdAt, table.id)
  ]
)

export const hosts = pgTable('hosts', {
  id: text('id').primaryKey(),
  url: text('url').notNull(),
  status: text('status', { enum: HOST_STATUSES }).notNull().default('up'),
  startedAt: instant('started_at').notNull(),
  heartbeatAt: instant('heartbeat_at').notNull()
})

export const sessionLeases = pgTable(
  'session_leases',
  {
    sessionId: text('session_id')
      .primaryKey()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    owner: text('owner'),
    generation: int64('generation').notNull().default(0),
    expiresAt: instant('expires_at')
  },
  table => [index('session_leases_owner_idx').on(table.owner)]
)

export const recipientChecks = pgTable(
  'recipient_checks',
  {
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    jid: text('jid').notNull(),
    onWhatsApp: boolean('on_whatsapp').notNull(),
    checkedAt: instant('checked_at').notNull()
  },
  table => [primaryKey({ columns: [table.sessionId, table.jid] })]
)

export const lidMappings = pgTable(
  'lid_mappings',
  {
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    lid: text('lid').notNull(),
    phone: text('phone').notNull(),
    updatedAt: instant('updated_at').notNull()
  },
  table => [primaryKey({ columns: [table.sessionId, table.lid] }), index('lid_mappings_phone_idx').on(table.sessionId, table.phone)]
)

export const sendGovernor = pgTable('send_governor', {
  sessionId: text('session_id')
    .primaryKey()
    .references(() => sessions.id, { onDelete: 'cascade' }),
  settings: jsonb('settings').$type<GovernorSettings>(),
  linkedAt: instant('linked_at'),
  day: text('day').notNull().default(''),
  newChats: integer('new_chats').notNull().default(0),
  nextNewChatAt: instant('next_new_chat_at'),
  refusalsInRow: integer('refusals_in_row').notNull().default(0),
  pausedAt: instant('paused_at'),
  pausedReason: text('paused_reason'),
  whatsappCap: jsonb('whatsapp_cap').$type<WhatsAppNewChatCap>()
})

export const knownChats = pgTable(
  'known_chats',
  {
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    jid: text('jid').notNull(),
    firstAt: instant('first_at').notNull()
  },
  table => [primaryKey({ columns: [table.sessionId, table.jid] })]
)
