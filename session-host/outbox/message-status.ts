import { MESSAGE_STATUSES } from '../../shared/statuses.ts'
import type { MessageStatus } from '../../shared/statuses.ts'

// A status only moves forward: a late "delivered" receipt never undoes "read".
const RANK: Record<MessageStatus, number> = { queued: 0, sending: 1, sent: 2, delivered: 3, read: 4, failed: 5 }

/**
 * Whether `next` may replace `current`. "failed" wins only over what WhatsApp has not yet
 * confirmed reaching the phone: a refusal after a delivery receipt cannot be true.
 */
export const canMoveTo = (current: MessageStatus, next: MessageStatus): boolean => {
  if (next === 'failed') return current === 'queued' || current === 'sending' || current === 'sent'
  if (current === 'failed') return false
  return RANK[next] > RANK[current]
}

// The statuses each status may be reached from, so one UPDATE … WHERE status IN (…) enforces the order.
export const FROM = Object.fromEntries(MESSAGE_STATUSES.map(next => [next, MESSAGE_STATUSES.filter(current => canMoveTo(current, next))])) as Record<
  MessageStatus,
  MessageStatus[]
>
/** Statuses after which the message's content is no longer kept. */
export const FINAL = new Set<MessageStatus>(['sent', 'delivered', 'read', 'failed'])
/** The column each status's time is written to. */
export const TIMESTAMP_COLUMN = { sent: 'sentAt', delivered: 'deliveredAt', read: 'readAt', failed: 'failedAt' } as const
