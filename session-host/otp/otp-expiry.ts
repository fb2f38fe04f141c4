import { and, inArray, lte, sql } from 'drizzle-orm'
import type { DbExecutor } from '../db/connection.ts'
import { writeTransaction } from '../db/connection.ts'
import { otps } from '../db/schema.ts'
import { recordOtpStatus } from './otp-events.ts'

export type ExpiredOtp = { otpId: string; sessionId: string; messageId: string | null }

/** What an expiring UPDATE returns: enough for its event. */
export const expiredColumns = { otpId: otps.id, sessionId: otps.sessionId, messageId: otps.messageId }

// Literal, not a bound value, so SQLite can use the partial index `otps_pending_expiry_idx`.
export const isPending = sql`${otps.status} = 'pending'`

/**
 * The `otp.status` "expired" event. Whoever flips an OTP to `expired` (the sweep, or a read or
 * verify that noticed first) writes it in the same transaction, from the rows its guarded
 * UPDATE … RETURNING changed: a row changes once, so the event is written once.
 */
export const journalOtpExpired = (tx: DbExecutor, otp: ExpiredOtp, at: number): void =>
  recordOtpStatus(tx, { sessionId: otp.sessionId, otpId: otp.otpId, messageId: otp.messageId, status: 'expired', at })

/**
 * Expires pending OTPs past their TTL, with their events, at most `batch` per call so a backlog
 * never holds the database for long (the next sweep takes the rest). Returns how many expired.
 */
export const expireDueOtps = (db: DbExecutor, now: number, batch = 500): number =>
  writeTransaction(db, tx => {
    const due = tx
      .select({ id: otps.id })
      .from(otps)
      .where(and(isPending, lte(otps.expiresAt, new Date(now))))
      .limit(batch)
    const expired = tx
      .update(otps)
      .set({ status: 'expired', updatedAt: new Date(now) })
      .where(and(isPending, inArray(otps.id, due)))
      .returning(expiredColumns)
      .all()
    for (const otp of expired) journalOtpExpired(tx, otp, now)
    return expired.length
  })
