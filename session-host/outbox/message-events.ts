import { and, eq } from 'drizzle-orm'
import type { DbExecutor } from '../db/connection.ts'
import { otps } from '../db/schema.ts'
import { recordOtpStatus } from '../otp/otp-events.ts'
import { recordEvent } from '../webhooks/record-event.ts'
import type { MessageChange } from './send-queue.ts'

/**
 * Journals a message's new status in the transaction that changed it: a `message.status` event,
 * and for an OTP's message its consequence: delivered is an `otp.status` with `delivery:
 * "delivered"` (the OTP's own status unchanged); a message that failed fails its pending OTP too,
 * with the same reason.
 */
export const journalMessageChange = (tx: DbExecutor, { message }: MessageChange, at: number): void => {
  const { sessionId, messageId, to, kind, status, error, otpId } = message
  recordEvent(tx, { sessionId, type: 'message.status', data: { messageId, to, kind, status, error, otpId }, at })
  if (!otpId) return
  if (status === 'delivered') recordOtpStatus(tx, { sessionId, otpId, messageId, at })
  if (status === 'failed') {
    const failed = tx
      .update(otps)
      .set({ status: 'failed', updatedAt: new Date(at) })
      .where(and(eq(otps.id, otpId), eq(otps.status, 'pending')))
      .returning({ id: otps.id })
      .get()
    if (failed) recordOtpStatus(tx, { sessionId, otpId, messageId, status: 'failed', reason: error, at })
  }
}
