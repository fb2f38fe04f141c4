import { and, inArray, lte, sql } from 'drizzle-orm'
import { tablesOf, writeTransaction } from '../db/database.ts'
import type { DbExecutor, Tables } from '../db/database.ts'
import { recordOtpStatus } from './otp-events.ts'

export type ExpiredOtp = { otpId: string; sessionId: string; messageId: string | null }

/** What an expiring UPDATE returns: enough for its event. */
export const expiredColumns = ({ otps }: Tables) => ({ otpId: otps.id, sessionId: otps.sessionId, messageId: otps.messageId })

// Literal, not a bound value, so the planner can use the partial index `otps_pending_expiry_idx`.
export const isPending = ({ otps }: Tables) => sql`${otps.status} = 'pending'`

/**
 * The `otp.status` "expired" event. Whoever flips an OTP to `expired` (the sweep, or a read or
 * verify that noticed first) writes it in the same transaction, from the rows its guarded
 * UPDATE … RETURNING changed: a row changes once, so the event is written once.
 */
export const journalOtpExpired = (tx: DbExecutor, otp: ExpiredOtp, at: number): Promise<void> =>
  recordOtpStatus(tx, { sessionId: otp.sessionId, otpId: otp.otpId, messageId: otp.messageId, status: 'expired', at })

/**
 * Expires pending OTPs past their TTL, with their events, at most `batch` per call so a backlog
 * never holds the database for long (the next sweep takes the rest). Returns how many expired.
 */
export const expireDueOtps = (db: DbExecutor, now: number, batch = 500): Promise<number> =>
  writeTransaction(db, async tx => {
    const tables = tablesOf(tx)
    const { otps } = tables
    const due = tx
      .select({ id: otps.id })
      .from(otps)
      .where(and(isPending(tables), lte(otps.expiresAt, new Date(now))))
      .limit(batch)
    const expired = await tx
      .update(otps)
      .set({ status: 'expired', updatedAt: new Date(now) })
      .where(and(isPending(tables), inArray(otps.id, due)))
      .returning(expiredColumns(tables))
    for (const otp of expired) await journalOtpExpired(tx, otp, now)
    return expired.length
  })
