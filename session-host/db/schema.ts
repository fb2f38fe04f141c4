import { sql } from 'drizzle-orm'
import { check, index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core'

/** One linked (or linking) WhatsApp account, known by the ID the operator chose. */
export const sessions = sqliteTable('sessions', {
  id: text('id').primaryKey(),
  status: text('status', { enum: ['connecting', 'qr', 'connected', 'disconnected', 'logged_out'] }).notNull().default('connecting'),
  phoneNumber: text('phone_number'),
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

export const OTP_STATUSES = ['pending', 'approved', 'expired', 'max_attempts_reached', 'canceled', 'failed'] as const

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
    // The gateway hashes `${otpId}:${code}`; a ':' in the id would make that input ambiguous.
    check('otps_id_no_colon', sql`instr(${table.id}, ':') = 0`)
  ]
)
