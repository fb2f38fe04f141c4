import type { MessageDelivery, MessageView } from '../../shared/host-api/messages.ts'
import type { OtpView } from '../../shared/host-api/otp.ts'
import type { otps } from '../db/schema.ts'

/** An OTP row as the host reads it: everything but the code hash. */
export type OtpRecord = Omit<typeof otps.$inferSelect, 'codeHash'>

/** Attempts a user has before the OTP locks. */
export const attemptsLeft = (otp: { attempts: number; maxAttempts: number }): number => Math.max(0, otp.maxAttempts - otp.attempts)

/** Where the message carrying the code stands. */
const deliveryOf = ({ status, error, sentAt, deliveredAt, readAt, failedAt }: MessageView): MessageDelivery => ({
  status,
  error,
  sentAt,
  deliveredAt,
  readAt,
  failedAt
})

/** The one view of an OTP the host gives: never the code or its hash. */
export const otpView = (otp: OtpRecord, message?: MessageView | null): OtpView => ({
  otpId: otp.id,
  sessionId: otp.sessionId,
  to: `+${otp.destination}`,
  status: otp.status,
  attemptsLeft: attemptsLeft(otp),
  messageId: otp.messageId,
  expiresAt: otp.expiresAt.toISOString(),
  createdAt: otp.createdAt.toISOString(),
  ...(message === undefined ? {} : { delivery: message ? deliveryOf(message) : null })
})
