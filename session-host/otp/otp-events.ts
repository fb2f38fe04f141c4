import { eq } from 'drizzle-orm'
import type { DbExecutor } from '../db/connection.ts'
import { messages, otps } from '../db/schema.ts'
import type { OtpStatus } from '../../shared/statuses.ts'
import { recordEvent } from '../webhooks/record-event.ts'

/**
 * Every `otp.status` event, in the one vocabulary the API uses for an OTP (`pending`,
 * `approved`, `expired`, `max_attempts_reached`, `canceled`, `failed`), with where the message
 * carrying it stands as a separate `delivery` (`sent`, `delivered`, `read`, `failed`, or null
 * before it was sent). Written in the transaction of the change it reports.
 */
export const recordOtpStatus = (
  tx: DbExecutor,
  input: { sessionId: string; otpId: string; messageId: string | null; at: number; status?: OtpStatus; reason?: string | null }
): void => {
  const status = input.status ?? tx.select({ status: otps.status }).from(otps).where(eq(otps.id, input.otpId)).get()?.status ?? 'pending'
  const sent = input.messageId ? tx.select({ status: messages.status }).from(messages).where(eq(messages.id, input.messageId)).get()?.status : undefined
  const delivery = sent === 'sent' || sent === 'delivered' || sent === 'read' || sent === 'failed' ? sent : null
  const data = { otpId: input.otpId, messageId: input.messageId, status, delivery, ...(input.reason ? { reason: input.reason } : {}) }
  recordEvent(tx, { sessionId: input.sessionId, type: 'otp.status', data, at: input.at })
}
