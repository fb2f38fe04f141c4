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
