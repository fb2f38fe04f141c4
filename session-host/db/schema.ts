import { sql } from 'drizzle-orm'
import { integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core'

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
