import type { MessageView } from '../../shared/host-api/messages.ts'
import type { Tables } from '../db/database.ts'

type Row = Tables['messages']['$inferSelect']

const iso = (date: Date | null) => (date ? date.toISOString() : null)

/** A stored message as the API shows it: never its sealed content. */
export const messageView = (row: Row): MessageView => ({
  sessionId: row.sessionId,
  messageId: row.id,
  to: `+${row.jid.split('@')[0]}`,
  kind: row.kind,
  status: row.status,
  error: row.error,
  otpId: row.otpId,
  timestamp: row.createdAt.toISOString(),
  sentAt: iso(row.sentAt),
  deliveredAt: iso(row.deliveredAt),
  readAt: iso(row.readAt),
  failedAt: iso(row.failedAt)
})
