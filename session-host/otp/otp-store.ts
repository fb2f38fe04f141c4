import { and, desc, eq, gt, inArray, lte, sql } from 'drizzle-orm'
import { appError } from '../../shared/errors.ts'
import type { VerifyAnswer } from '../../shared/host-api/otp.ts'
import { OTP_MAX_ATTEMPTS } from '../../shared/otp-policy.ts'
import type { Db, DbExecutor } from '../db/connection.ts'
import { writeTransaction } from '../db/connection.ts'
import { otps } from '../db/schema.ts'
import { recordOtpStatus } from './otp-events.ts'
import { expiredColumns, isPending, journalOtpExpired } from './otp-expiry.ts'
import { attemptsLeft } from './otp-view.ts'
import type { OtpRecord } from './otp-view.ts'

export type OtpDeps = {
  db: DbExecutor
  clock: () => number
  /**
   * An `otp.status` event was written: committed, unless `db` is a caller's transaction (then the
   * caller wakes the outbox after its commit). The webhook outbox has something to deliver now.
   */
  onEvent?: () => void
}

export type OtpSendLimits = {
  /** Minimum time between two OTPs to the same destination. */
  cooldownSeconds: number
  /** At most `maxPerWindow` OTPs to the same destination within any `windowSeconds`. */
  maxPerWindow: number
  windowSeconds: number
}

export const DEFAULT_OTP_LIMITS: OtpSendLimits = { cooldownSeconds: 30, maxPerWindow: 5, windowSeconds: 15 * 60 }

const publicColumns = {
  id: otps.id,
  sessionId: otps.sessionId,
  destination: otps.destination,
  status: otps.status,
  attempts: otps.attempts,
  maxAttempts: otps.maxAttempts,
  expiresAt: otps.expiresAt,
  messageId: otps.messageId,
  createdAt: otps.createdAt,
  updatedAt: otps.updatedAt,
  approvedAt: otps.approvedAt
}

const notFound = () => appError('OTP_NOT_FOUND')

/**
 * A pending OTP past its expiry that someone looks at before the sweep did: expire it now, with
 * its event, atomically (the guarded UPDATE lets only one path expire it).
 */
const expireIfDue = ({ db, onEvent }: OtpDeps, otpId: string, now: number): void => {
  const wrote = writeTransaction(db, tx => {
    const expired = tx
      .update(otps)
      .set({ status: 'expired', updatedAt: new Date(now) })
      .where(and(eq(otps.id, otpId), eq(otps.status, 'pending'), lte(otps.expiresAt, new Date(now))))
      .returning(expiredColumns)
      .get()
    if (expired) journalOtpExpired(tx, expired, now)
    return expired !== undefined
  })
  if (wrote) onEvent?.()
}

const readOtp = (db: DbExecutor, otpId: string): OtpRecord => {
  const otp = db.select(publicColumns).from(otps).where(eq(otps.id, otpId)).get()
  if (!otp) throw notFound()
  return otp
}

/**
 * Seconds until another OTP may go to this destination, or 0. `sentAt` holds the creation times
 * of its recent OTPs, newest first.
 */
const retryAfterSeconds = (sentAt: number[], now: number, limits: OtpSendLimits): number => {
  let waitMs = 0
  const last = sentAt[0]
  if (last !== undefined) waitMs = last + limits.cooldownSeconds * 1000 - now
  const inWindow = sentAt.filter(at => at > now - limits.windowSeconds * 1000)
  // The window reopens when the oldest of the last `maxPerWindow` sends leaves it.
  const leaving = inWindow[limits.maxPerWindow - 1]
  if (leaving !== undefined) waitMs = Math.max(waitMs, leaving + limits.windowSeconds * 1000 - now)
  return waitMs > 0 ? Math.ceil(waitMs / 1000) : 0
}

/**
 * Stores a new OTP after checking the send limits for its destination, and supersedes the older
 * pending ones so that "the latest pending OTP" is unambiguous. The check and the insert are one
 * IMMEDIATE transaction: it takes the write lock first, so no other connection can send in between.
 */
export const createOtp = (
  { db, clock, onEvent }: OtpDeps,
  input: {
    id: string
    sessionId: string
    destination: string
    codeHash: string
    ttlSeconds: number
    maxAttempts?: number
    limits?: Partial<OtpSendLimits>
  }
): OtpRecord => {
  const limits = { ...DEFAULT_OTP_LIMITS, ...input.limits }
  let wroteEvents = false
  const created = writeTransaction(db, tx => {
    const now = clock()
    const windowStart = now - Math.max(limits.cooldownSeconds, limits.windowSeconds) * 1000
    const sentAt = tx
      .select({ createdAt: otps.createdAt })
      .from(otps)
      .where(and(eq(otps.sessionId, input.sessionId), eq(otps.destination, input.destination), gt(otps.createdAt, new Date(windowStart))))
      .orderBy(desc(otps.createdAt))
      .all()
      .map(row => row.createdAt.getTime())
    const wait = retryAfterSeconds(sentAt, now, limits)
    if (wait > 0) {
      throw appError('RATE_LIMITED', 'Too many codes sent to this number; try again later.', { retryAfterSeconds: wait }, { 'Retry-After': String(wait) })
    }

    const sameDestination = and(eq(otps.sessionId, input.sessionId), eq(otps.destination, input.destination), isPending)
    const expired = tx
      .update(otps)
      .set({ status: 'expired', updatedAt: new Date(now) })
      .where(and(sameDestination, lte(otps.expiresAt, new Date(now))))
      .returning(expiredColumns)
      .all()
    for (const otp of expired) journalOtpExpired(tx, otp, now)
    // A superseded OTP is canceled like one canceled through the API: with its event.
    const superseded = tx
      .update(otps)
      .set({ status: 'canceled', updatedAt: new Date(now) })
      .where(sameDestination)
      .returning(expiredColumns)
      .all()
    for (const otp of superseded)
      recordOtpStatus(tx, { sessionId: otp.sessionId, otpId: otp.otpId, messageId: otp.messageId, status: 'canceled', reason: 'superseded', at: now })
    wroteEvents = expired.length + superseded.length > 0

    return tx
      .insert(otps)
      .values({
        id: input.id,
        sessionId: input.sessionId,
        destination: input.destination,
        codeHash: input.codeHash,
        maxAttempts: input.maxAttempts ?? OTP_MAX_ATTEMPTS,
        expiresAt: new Date(now + input.ttlSeconds * 1000),
        createdAt: new Date(now),
        updatedAt: new Date(now)
      })
      .returning(publicColumns)
      .get()
  })
  if (wroteEvents) onEvent?.()
  return created
}

/**
 * The verify path's statements, prepared once per database: building and preparing them per call
 * cost more than running them. A token's session list is bound as one JSON array (or null for all).
 */
const verifyStatements = (db: Db) => {
  const now = sql.placeholder('now')
  const codeHash = sql.placeholder('codeHash')
  const otpId = sql.placeholder('otpId')
  const allowed = sql.placeholder('allowedSessions')
  const matches = sql`ct_equal(${otps.codeHash}, ${codeHash})`
  return {
    attempt: db
      .update(otps)
      .set({
        attempts: sql`${otps.attempts} + 1`,
        status: sql`CASE WHEN ${matches} THEN 'approved' WHEN ${otps.attempts} + 1 >= ${otps.maxAttempts} THEN 'max_attempts_reached' ELSE 'pending' END`,
        approvedAt: sql`CASE WHEN ${matches} THEN ${now} ELSE NULL END`,
        updatedAt: sql`${now}`
      })
      .where(
        and(
          eq(otps.id, otpId),
          eq(otps.status, 'pending'),
          sql`${otps.expiresAt} > ${now}`,
          sql`(${allowed} IS NULL OR ${otps.sessionId} IN (SELECT value FROM json_each(${allowed})))`
        )
      )
      .returning({ status: otps.status, attempts: otps.attempts, maxAttempts: otps.maxAttempts, sessionId: otps.sessionId, messageId: otps.messageId })
      .prepare(),
    expireIfDue: db
      .update(otps)
      .set({ status: 'expired', updatedAt: sql`${now}` })
      .where(and(eq(otps.id, otpId), eq(otps.status, 'pending'), sql`${otps.expiresAt} <= ${now}`))
      .returning(expiredColumns)
      .prepare(),
    read: db.select(publicColumns).from(otps).where(eq(otps.id, otpId)).prepare()
  }
}
const prepared = new WeakMap<Db, ReturnType<typeof verifyStatements>>()
const statementsFor = (db: Db) => {
  let statements = prepared.get(db)
  if (!statements) {
    statements = verifyStatements(db)
    prepared.set(db, statements)
  }
  return statements
}

/**
 * Checks a code hash against a pending OTP. The attempt count, the constant-time comparison and the
 * status change are one UPDATE, so concurrent verifies can neither approve twice nor lose a wrong
 * attempt. Every attempt counts, the right one included. An attempt that ends the OTP (approved,
 * or the last wrong one) writes its `otp.status` event in the same transaction.
 */
export const verifyOtp = (
  { db, clock, onEvent }: OtpDeps,
  input: {
    otpId: string
    codeHash: string
    /** The sessions the caller may use (undefined: all); an OTP of another session is not touched. */
    allowedSessions?: readonly string[]
  }
): VerifyAnswer => {
  const now = clock()
  const statements = statementsFor(db)
  const allowedSessions = input.allowedSessions ? JSON.stringify(input.allowedSessions) : null
  // better-sqlite3 has one connection: the statements prepared on `db` run inside this transaction
  // (handing them the transaction object would prepare them again on every call).
  const updated = writeTransaction(db, tx => {
    const attempt = statements.attempt.get({ otpId: input.otpId, codeHash: input.codeHash, now, allowedSessions })
    if (attempt && attempt.status !== 'pending')
      recordOtpStatus(tx, { sessionId: attempt.sessionId, otpId: input.otpId, messageId: attempt.messageId, status: attempt.status, at: now })
    return attempt
  })
  if (updated) {
    // A pending answer wrote no event, so the benchmarked wrong-code path wakes nothing.
    if (updated.status !== 'pending') onEvent?.()
    return { otpId: input.otpId, valid: updated.status === 'approved', status: updated.status, attemptsLeft: attemptsLeft(updated) }
  }

  // Nothing was updated: say why, without counting an attempt. (An expired OTP is expired for anyone;
  // if this call is the first to notice, it writes the expiry and its event together.)
  const expiredNow = writeTransaction(db, tx => {
    const expired = statements.expireIfDue.get({ otpId: input.otpId, now })
    if (expired) journalOtpExpired(tx, expired, now)
    return expired !== undefined
  })
  if (expiredNow) onEvent?.()
  const otp = statements.read.get({ otpId: input.otpId })
  if (!otp) throw notFound()
  if (input.allowedSessions && !input.allowedSessions.includes(otp.sessionId)) {
    // No session id in the refusal: the caller named only the OTP.
    throw appError('SESSION_FORBIDDEN', 'This token may not use the session of this OTP')
  }
  return { otpId: otp.id, valid: false, status: otp.status, attemptsLeft: attemptsLeft(otp) }
}

/**
 * The newest OTP to a destination that is still pending (possibly past its expiry, so that verifying
 * it answers `expired` rather than "not found"). The gateway binds the code hash to the OTP id, so
 * verifying "the latest code for this number" is this lookup, then `verifyOtp` with the id.
 */
export const findLatestPendingOtp = ({ db }: OtpDeps, input: { sessionId: string; destination: string }): OtpRecord => {
  const otp = db
    .select(publicColumns)
    .from(otps)
    .where(and(eq(otps.sessionId, input.sessionId), eq(otps.destination, input.destination)))
    .orderBy(desc(otps.createdAt))
    .limit(1)
    .get()
  // The newest OTP, when still pending or merely expired (the sweep may have got there before the
  // user typed): verifying it then answers `expired` rather than not-found.
  if (!otp || (otp.status !== 'pending' && otp.status !== 'expired')) throw appError('OTP_NOT_FOUND', 'No pending OTP for this number.')
  return otp
}

export const getOtp = (deps: OtpDeps, input: { otpId: string }): OtpRecord => {
  expireIfDue(deps, input.otpId, deps.clock())
  return readOtp(deps.db, input.otpId)
}

/**
 * Cancels a pending OTP of a session the caller may use, with its `otp.status` event, in one
 * guarded UPDATE (no read first, so nothing can change in between). One that is no longer
 * pending stays as it is: 409 OTP_NOT_PENDING; one of another session: 403, untouched.
 */
export const cancelOtp = (deps: OtpDeps, input: { otpId: string; allowedSessions?: readonly string[] }): OtpRecord => {
  const { db, clock, onEvent } = deps
  const now = clock()
  const canceled = writeTransaction(db, tx => {
    const otp = tx
      .update(otps)
      .set({ status: 'canceled', updatedAt: new Date(now) })
      .where(
        and(
          eq(otps.id, input.otpId),
          eq(otps.status, 'pending'),
          gt(otps.expiresAt, new Date(now)),
          input.allowedSessions ? inArray(otps.sessionId, [...input.allowedSessions]) : undefined
        )
      )
      .returning(publicColumns)
      .get()
    if (otp) recordOtpStatus(tx, { sessionId: otp.sessionId, otpId: otp.id, messageId: otp.messageId, status: 'canceled', at: now })
    return otp
  })
  if (canceled) {
    onEvent?.()
    return canceled
  }
  const otp = readOtp(db, input.otpId)
  if (input.allowedSessions && !input.allowedSessions.includes(otp.sessionId))
    throw appError('SESSION_FORBIDDEN', 'This token may not use the session of this OTP')
  expireIfDue(deps, input.otpId, now)
  const status = readOtp(db, input.otpId).status
  throw appError('OTP_NOT_PENDING', `The OTP is ${status}, not pending: nothing was canceled`, { status })
}

export const attachMessageId = ({ db, clock }: OtpDeps, input: { otpId: string; messageId: string }): OtpRecord => {
  const otp = db
    .update(otps)
    .set({ messageId: input.messageId, updatedAt: new Date(clock()) })
    .where(eq(otps.id, input.otpId))
    .returning(publicColumns)
    .get()
  if (!otp) throw notFound()
  return otp
}

/**
 * The code could not be delivered: a pending OTP becomes `failed`, with its event and the
 * message's reason, and can no longer be verified. Anything else stays as it is.
 */
export const markOtpFailed = ({ db, clock, onEvent }: OtpDeps, input: { otpId: string; reason?: string | null }): OtpRecord => {
  const now = clock()
  const failed = writeTransaction(db, tx => {
    const otp = tx
      .update(otps)
      .set({ status: 'failed', updatedAt: new Date(now) })
      .where(and(eq(otps.id, input.otpId), eq(otps.status, 'pending')))
      .returning(publicColumns)
      .get()
    if (otp) recordOtpStatus(tx, { sessionId: otp.sessionId, otpId: otp.id, messageId: otp.messageId, status: 'failed', reason: input.reason ?? null, at: now })
    return otp
  })
  if (failed) onEvent?.()
  return failed ?? readOtp(db, input.otpId)
}
