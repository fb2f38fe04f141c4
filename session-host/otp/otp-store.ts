import { and, desc, eq, gt, inArray, lte, or, sql } from 'drizzle-orm'
import { appError } from '../../shared/errors.ts'
import type { VerifyAnswer } from '../../shared/host-api/otp.ts'
import type { OtpStatus } from '../../shared/statuses.ts'
import { OTP_MAX_ATTEMPTS } from '../../shared/otp-policy.ts'
import { tablesOf, writeTransaction } from '../db/database.ts'
import type { DbExecutor, Tables } from '../db/database.ts'
import { constantTimeEqual, inJsonList, lockKey, momentPlaceholder } from '../db/dialect-sql.ts'
import { reusedStatement } from '../db/reused-statement.ts'
import { recordOtpStatus } from './otp-events.ts'
import { expiredColumns, isPending, journalOtpExpired } from './otp-expiry.ts'
import { attemptsLeft } from './otp-view.ts'
import type { OtpRecord } from './otp-view.ts'

export type OtpDeps = {
  db: DbExecutor
  clock: () => number
  /**
   * An `otp.status` event was written: committed, unless `db` is a caller's transaction (then the
   * caller wakes the outbox after its commit). The webhook outbox has something to deliver now;
   * `statuses` are the ones the OTPs entered (the metrics count them).
   */
  onEvent?: (statuses: readonly OtpStatus[]) => void
}

export type OtpSendLimits = {
  /** Minimum time between two OTPs to the same destination. */
  cooldownSeconds: number
  /** At most `maxPerWindow` OTPs to the same destination within any `windowSeconds`. */
  maxPerWindow: number
  windowSeconds: number
}

export const DEFAULT_OTP_LIMITS: OtpSendLimits = { cooldownSeconds: 30, maxPerWindow: 5, windowSeconds: 15 * 60 }

const publicColumns = ({ otps }: Tables) => ({
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
})

const notFound = () => appError('OTP_NOT_FOUND')

/** The OTP, while it is pending and not past its expiry, of a session the caller may use (undefined: any). */
const stillOpen = (otps: Tables['otps'], otpId: string, now: number, allowedSessions: readonly string[] | undefined) =>
  and(
    eq(otps.id, otpId),
    eq(otps.status, 'pending'),
    gt(otps.expiresAt, new Date(now)),
    allowedSessions ? inArray(otps.sessionId, [...allowedSessions]) : undefined
  )

/**
 * The verify UPDATE, every value a placeholder: counts the attempt and settles the status in one
 * guarded statement (the hash compared in constant time), built once (db/reused-statement.ts).
 * Its guard is `stillOpen` in placeholders (SQLite's unprepared builders ignore placeholder
 * values, so cancel, which is rare, keeps the literal form). One statement with a session scope
 * (`sessions`, a JSON list), one without.
 */
const verifyAttempts = ([false, true] as const).map(scoped =>
  reusedStatement(on => {
    const { otps } = tablesOf(on)
    const matches = constantTimeEqual(on, otps.codeHash, sql.placeholder('codeHash'))
    return on
      .update(otps)
      .set({
        attempts: sql`${otps.attempts} + 1`,
        status: sql`CASE WHEN ${matches} THEN 'approved' WHEN ${otps.attempts} + 1 >= ${otps.maxAttempts} THEN 'max_attempts_reached' ELSE 'pending' END`,
        approvedAt: sql`CASE WHEN ${matches} THEN ${momentPlaceholder(on, 'now', otps.approvedAt)} ELSE NULL END`,
        updatedAt: momentPlaceholder(on, 'now', otps.updatedAt)
      })
      .where(
        and(
          eq(otps.id, sql.placeholder('otpId')),
          eq(otps.status, 'pending'),
          gt(otps.expiresAt, momentPlaceholder(on, 'now', otps.expiresAt)),
          scoped ? inJsonList(on, otps.sessionId, 'sessions') : undefined
        )
      )
      .returning({ status: otps.status, attempts: otps.attempts, maxAttempts: otps.maxAttempts, sessionId: otps.sessionId, messageId: otps.messageId })
  })
)

/**
 * A pending OTP past its expiry that someone looks at before the sweep did: expire it now, with
 * its event, atomically (the guarded UPDATE lets only one path expire it).
 */
const expireIfDue = async ({ db, onEvent }: OtpDeps, otpId: string, now: number): Promise<void> => {
  const wrote = await writeTransaction(db, async tx => {
    const tables = tablesOf(tx)
    const { otps } = tables
    const [expired] = await tx
      .update(otps)
      .set({ status: 'expired', updatedAt: new Date(now) })
      .where(and(eq(otps.id, otpId), eq(otps.status, 'pending'), lte(otps.expiresAt, new Date(now))))
      .returning(expiredColumns(tables))
    if (expired) await journalOtpExpired(tx, expired, now)
    return expired !== undefined
  })
  if (wrote) onEvent?.(['expired'])
}

const readOtp = async (db: DbExecutor, otpId: string): Promise<OtpRecord> => {
  const tables = tablesOf(db)
  const [otp] = await db.select(publicColumns(tables)).from(tables.otps).where(eq(tables.otps.id, otpId))
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

/** Expires the destination's pending OTPs past their expiry and supersedes the others, each with its event. */
const closeEarlierPending = async (tx: DbExecutor, input: { sessionId: string; destination: string }, now: number): Promise<OtpStatus[]> => {
  const tables = tablesOf(tx)
  const { otps } = tables
  const sameDestination = and(eq(otps.sessionId, input.sessionId), eq(otps.destination, input.destination), isPending(tables))
  const expired = await tx
    .update(otps)
    .set({ status: 'expired', updatedAt: new Date(now) })
    .where(and(sameDestination, lte(otps.expiresAt, new Date(now))))
    .returning(expiredColumns(tables))
  for (const otp of expired) await journalOtpExpired(tx, otp, now)
  // A superseded OTP is canceled like one canceled through the API: with its event.
  const superseded = await tx
    .update(otps)
    .set({ status: 'canceled', updatedAt: new Date(now) })
    .where(sameDestination)
    .returning(expiredColumns(tables))
  for (const otp of superseded)
    await recordOtpStatus(tx, { sessionId: otp.sessionId, otpId: otp.otpId, messageId: otp.messageId, status: 'canceled', reason: 'superseded', at: now })
  return [...expired.map(() => 'expired' as const), ...superseded.map(() => 'canceled' as const)]
}

/**
 * Stores a new OTP after checking the send limits for its destination, and supersedes the older
 * pending ones so that "the latest pending OTP" is unambiguous. The check and the insert are one
 * IMMEDIATE transaction: it takes the write lock first, so no other connection can send in between
 * (on PostgreSQL, the destination's lock).
 */
export const createOtp = async (
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
): Promise<OtpRecord> => {
  const limits = { ...DEFAULT_OTP_LIMITS, ...input.limits }
  let written: OtpStatus[] = []
  const created = await writeTransaction(db, async tx => {
    await lockKey(tx, `otp-destination:${input.sessionId}:${input.destination}`)
    const now = clock()
    const windowStart = now - Math.max(limits.cooldownSeconds, limits.windowSeconds) * 1000
    // The destination's recent OTPs (for the limits) and its pending ones (to supersede), in one read.
    const earlier = await recentOtps(tx).execute({ sessionId: input.sessionId, destination: input.destination, windowStart: new Date(windowStart) })
    const sentAt = earlier.filter(row => row.createdAt.getTime() > windowStart).map(row => row.createdAt.getTime())
    const wait = retryAfterSeconds(sentAt, now, limits)
    if (wait > 0) {
      throw appError('RATE_LIMITED', 'Too many codes sent to this number; try again later.', { retryAfterSeconds: wait }, { 'Retry-After': String(wait) })
    }

    if (earlier.some(row => row.status === 'pending')) written = await closeEarlierPending(tx, input, now)

    const [inserted] = await insertOtp(tx).execute({
      id: input.id,
      sessionId: input.sessionId,
      destination: input.destination,
      codeHash: input.codeHash,
      maxAttempts: input.maxAttempts ?? OTP_MAX_ATTEMPTS,
      expiresAt: new Date(now + input.ttlSeconds * 1000),
      now: new Date(now)
    })
    if (!inserted) throw new Error('createOtp: the insert returned no row')
    return inserted
  })
  if (written.length > 0) onEvent?.(written)
  return created
}

/** A destination's OTPs since `windowStart` (for the limits) and its pending ones (to supersede), newest first; built once. */
const recentOtps = reusedStatement(on => {
  const tables = tablesOf(on)
  const { otps } = tables
  return on
    .select({ createdAt: otps.createdAt, status: otps.status })
    .from(otps)
    .where(
      and(
        eq(otps.sessionId, sql.placeholder('sessionId')),
        eq(otps.destination, sql.placeholder('destination')),
        or(gt(otps.createdAt, momentPlaceholder(on, 'windowStart', otps.createdAt)), isPending(tables))
      )
    )
    .orderBy(desc(otps.createdAt))
})

/** A new pending OTP; built once. */
const insertOtp = reusedStatement(on => {
  const tables = tablesOf(on)
  const { otps } = tables
  return on
    .insert(otps)
    .values({
      id: sql.placeholder('id'),
      sessionId: sql.placeholder('sessionId'),
      destination: sql.placeholder('destination'),
      codeHash: sql.placeholder('codeHash'),
      maxAttempts: sql.placeholder('maxAttempts'),
      expiresAt: sql.placeholder('expiresAt'),
      createdAt: sql.placeholder('now'),
      updatedAt: sql.placeholder('now')
    })
    .returning(publicColumns(tables))
})

/**
 * Checks a code hash against a pending OTP. The attempt count, the constant-time comparison and the
 * status change are one UPDATE, so concurrent verifies can neither approve twice nor lose a wrong
 * attempt. Every attempt counts, the right one included. An attempt that ends the OTP (approved,
 * or the last wrong one) writes its `otp.status` event in the same transaction.
 */
export const verifyOtp = async (
  { db, clock, onEvent }: OtpDeps,
  input: {
    otpId: string
    codeHash: string
    /** The sessions the caller may use (undefined: all); an OTP of another session is not touched. */
    allowedSessions?: readonly string[]
  }
): Promise<VerifyAnswer> => {
  const now = clock()
  const updated = await writeTransaction(db, async tx => {
    const [attempt] = await verifyAttempts[input.allowedSessions === undefined ? 0 : 1]!(tx).execute({
      otpId: input.otpId,
      codeHash: input.codeHash,
      now: new Date(now),
      sessions: JSON.stringify(input.allowedSessions ?? [])
    })
    if (attempt && attempt.status !== 'pending')
      await recordOtpStatus(tx, { sessionId: attempt.sessionId, otpId: input.otpId, messageId: attempt.messageId, status: attempt.status, at: now })
    return attempt
  })
  if (updated) {
    // A pending answer wrote no event, so the benchmarked wrong-code path wakes nothing.
    if (updated.status !== 'pending') onEvent?.([updated.status])
    return { otpId: input.otpId, valid: updated.status === 'approved', status: updated.status, attemptsLeft: attemptsLeft(updated) }
  }

  // Nothing was updated: say why, without counting an attempt. (An expired OTP is expired for anyone;
  // if this call is the first to notice, it writes the expiry and its event together.)
  await expireIfDue({ db, clock, ...(onEvent ? { onEvent } : {}) }, input.otpId, now)
  const otp = await readOtp(db, input.otpId)
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
export const findLatestPendingOtp = async ({ db }: OtpDeps, input: { sessionId: string; destination: string }): Promise<OtpRecord> => {
  const tables = tablesOf(db)
  const { otps } = tables
  const [otp] = await db
    .select(publicColumns(tables))
    .from(otps)
    .where(and(eq(otps.sessionId, input.sessionId), eq(otps.destination, input.destination)))
    .orderBy(desc(otps.createdAt))
    .limit(1)
  // The newest OTP, when still pending or merely expired (the sweep may have got there before the
  // user typed): verifying it then answers `expired` rather than not-found.
  if (!otp || (otp.status !== 'pending' && otp.status !== 'expired')) throw appError('OTP_NOT_FOUND', 'No pending OTP for this number.')
  return otp
}

export const getOtp = async (deps: OtpDeps, input: { otpId: string }): Promise<OtpRecord> => {
  await expireIfDue(deps, input.otpId, deps.clock())
  return readOtp(deps.db, input.otpId)
}

/**
 * Cancels a pending OTP of a session the caller may use, with its `otp.status` event, in one
 * guarded UPDATE (no read first, so nothing can change in between). One that is no longer
 * pending stays as it is: 409 OTP_NOT_PENDING; one of another session: 403, untouched.
 */
export const cancelOtp = async (deps: OtpDeps, input: { otpId: string; allowedSessions?: readonly string[] }): Promise<OtpRecord> => {
  const { db, clock, onEvent } = deps
  const now = clock()
  const canceled = await writeTransaction(db, async tx => {
    const tables = tablesOf(tx)
    const { otps } = tables
    const [otp] = await tx
      .update(otps)
      .set({ status: 'canceled', updatedAt: new Date(now) })
      .where(stillOpen(otps, input.otpId, now, input.allowedSessions))
      .returning(publicColumns(tables))
    if (otp) await recordOtpStatus(tx, { sessionId: otp.sessionId, otpId: otp.id, messageId: otp.messageId, status: 'canceled', at: now })
    return otp
  })
  if (canceled) {
    onEvent?.(['canceled'])
    return canceled
  }
  const otp = await readOtp(db, input.otpId)
  if (input.allowedSessions && !input.allowedSessions.includes(otp.sessionId))
    throw appError('SESSION_FORBIDDEN', 'This token may not use the session of this OTP')
  await expireIfDue(deps, input.otpId, now)
  const { status } = await readOtp(db, input.otpId)
  throw appError('OTP_NOT_PENDING', `The OTP is ${status}, not pending: nothing was canceled`, { status })
}

export const attachMessageId = async ({ db, clock }: OtpDeps, input: { otpId: string; messageId: string }): Promise<OtpRecord> => {
  const tables = tablesOf(db)
  const { otps } = tables
  const [otp] = await db
    .update(otps)
    .set({ messageId: input.messageId, updatedAt: new Date(clock()) })
    .where(eq(otps.id, input.otpId))
    .returning(publicColumns(tables))
  if (!otp) throw notFound()
  return otp
}

/**
 * The code could not be delivered: a pending OTP becomes `failed`, with its event and the
 * message's reason, and can no longer be verified. Anything else stays as it is.
 */
export const markOtpFailed = async ({ db, clock, onEvent }: OtpDeps, input: { otpId: string; reason?: string | null }): Promise<OtpRecord> => {
  const now = clock()
  const failed = await writeTransaction(db, async tx => {
    const tables = tablesOf(tx)
    const { otps } = tables
    const [otp] = await tx
      .update(otps)
      .set({ status: 'failed', updatedAt: new Date(now) })
      .where(and(eq(otps.id, input.otpId), eq(otps.status, 'pending')))
      .returning(publicColumns(tables))
    if (otp)
      await recordOtpStatus(tx, { sessionId: otp.sessionId, otpId: otp.id, messageId: otp.messageId, status: 'failed', reason: input.reason ?? null, at: now })
    return otp
  })
  if (failed) onEvent?.(['failed'])
  return failed ?? readOtp(db, input.otpId)
}
