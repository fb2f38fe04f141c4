import { eq } from 'drizzle-orm'
import { tablesOf } from '../db/database.ts'
import type { DbExecutor } from '../db/database.ts'
import type { OtpStatus } from '../../shared/statuses.ts'
import { recordEvent } from '../webhooks/record-event.ts'

/**
 * Every `otp.status` event, in the one vocabulary the API uses for an OTP (`pending`,
 * `approved`, `expired`, `max_attempts_reached`, `canceled`, `failed`), with where the message
 * carrying it stands as a separate `delivery` (`sent`, `delivered`, `read`, `failed`, or null
 * before it was sent). Written in the transaction of the change it reports.
 */
export const recordOtpStatus = async (
  tx: DbExecutor,
  input: { sessionId: string; otpId: string; messageId: string | null; at: number; status?: OtpStatus; reason?: string | null }
): Promise<void> => {
  const { messages, otps } = tablesOf(tx)
  const status = input.status ?? (await tx.select({ status: otps.status }).from(otps).where(eq(otps.id, input.otpId)))[0]?.status ?? 'pending'
  const sent = input.messageId ? (await tx.select({ status: messages.status }).from(messages).where(eq(messages.id, input.messageId)))[0]?.status : undefined
  const delivery = sent === 'sent' || sent === 'delivered' || sent === 'read' || sent === 'failed' ? sent : null
  const data = { otpId: input.otpId, messageId: input.messageId, status, delivery, ...(input.reason ? { reason: input.reason } : {}) }
  await recordEvent(tx, { sessionId: input.sessionId, type: 'otp.status', data, at: input.at })
}
