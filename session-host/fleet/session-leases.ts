import { and, asc, eq, exists, gt, inArray, isNull, lte, ne, notExists, or, sql } from 'drizzle-orm'
import type { SQL, SQLWrapper } from 'drizzle-orm'
import { tablesOf } from '../db/database.ts'
import type { DbExecutor } from '../db/database.ts'
import { databaseNow, databaseNowPlus, skipLockedRows } from '../db/dialect-sql.ts'
import { reusedStatement } from '../db/reused-statement.ts'

/** A host's hold on one session: writes for the session name it, and count only while it is current. */
export type Fence = { hostId: string; generation: number }

/** A fenced statement changed nothing: another host took the session over, or the lease ran out. */
export class LeaseLostError extends Error {
  constructor(readonly sessionId: string) {
    super(`the lease on session ${sessionId} is no longer this host's`)
    this.name = 'LeaseLostError'
  }
}

/** A fence in placeholders, for statements built once (db/reused-statement.ts): run them with `fenceValues`. */
export const FENCE_PLACEHOLDERS = { hostId: sql.placeholder('fenceHostId'), generation: sql.placeholder('fenceGeneration') }
export const fenceValues = (fence: Fence) => ({ fenceHostId: fence.hostId, fenceGeneration: fence.generation })

/**
 * True while `fence` is the current, unexpired lease on the session `sessionId` names (a value or a
 * column of the statement's own table). Fenced statements put it in their WHERE, so the check and
 * the write are one statement: a host whose lease moved on in between writes nothing.
 */
export const leaseHeld = (db: DbExecutor, sessionId: string | SQLWrapper, fence: Fence | typeof FENCE_PLACEHOLDERS): SQL => {
  const { sessionLeases } = tablesOf(db)
  return exists(
    db
      .select({ held: sql`1` })
      .from(sessionLeases)
      .where(
        and(
          eq(sessionLeases.sessionId, sessionId as string),
          eq(sessionLeases.owner, fence.hostId as string),
          eq(sessionLeases.generation, fence.generation as number),
          gt(sessionLeases.expiresAt, databaseNow(db))
        )
      )
  )
}

/**
 * Inside a transaction, makes sure the lease is still current before the transaction writes what
 * the session saw (its status, its events); throws LeaseLostError otherwise. It reads without
 * locking the lease row: a lock held for a long transaction would hold up the renewal of every
 * lease the host has, and let them all run out. The writes that must never come from a stale host
 * (auth state, sends) are fenced in their own statements.
 */
export const assertLease = async (tx: DbExecutor, sessionId: string, fence: Fence): Promise<void> => {
  if (!(await isLeaseCurrent(tx, sessionId, fence))) throw new LeaseLostError(sessionId)
}

/** Whether `fence` is still the current lease on the session (a session checks before it connects). */
export const isLeaseCurrent = async (db: DbExecutor, sessionId: string, fence: Fence): Promise<boolean> =>
  (await currentLease(db).execute({ sessionId, ...fenceValues(fence) })).length > 0
const currentLease = reusedStatement(on => {
  const { sessionLeases } = tablesOf(on)
  return on
    .select({ sessionId: sessionLeases.sessionId })
    .from(sessionLeases)
    .where(and(eq(sessionLeases.sessionId, sql.placeholder('sessionId')), leaseHeld(on, sql.placeholder('sessionId'), FENCE_PLACEHOLDERS)))
})

/** Gives every session that has none a free lease row (sessions stored before the fleet existed). */
export const ensureLeaseRows = async (db: DbExecutor): Promise<void> => {
  const { sessionLeases, sessions } = tablesOf(db)
  const missing = await db
    .select({ sessionId: sessions.id })
    .from(sessions)
    .where(notExists(db.select({ one: sql`1` }).from(sessionLeases).where(eq(sessionLeases.sessionId, sessions.id))))
  if (missing.length > 0) await db.insert(sessionLeases).values(missing).onConflictDoNothing()
}

/** A new session's lease, taken by the host that creates it (in the creating transaction): its QR shows there. */
export const takeNewLease = async (tx: DbExecutor, sessionId: string, hostId: string, ttlMs: number): Promise<Fence> => {
  const { sessionLeases } = tablesOf(tx)
  await tx.insert(sessionLeases).values({ sessionId, owner: hostId, generation: 1, expiresAt: databaseNowPlus(tx, ttlMs) })
  return { hostId, generation: 1 }
}

/**
 * Takes up to `limit` sessions that no host holds: free ones first, then leases that ran out (their
 * host died or stalled), and with `ownFromBefore` (the first round after a restart, before the
 * host serves) the leases still under this host's id; with `ownOnly`, those alone. Each take-over
 * bumps the generation, which fences out the previous holder. Logged-out sessions need no host.
 */
export const claimLeases = async (
  db: DbExecutor,
  hostId: string,
  { ttlMs, limit, ownFromBefore = false, ownOnly = false }: { ttlMs: number; limit: number; ownFromBefore?: boolean; ownOnly?: boolean }
) => {
  if (limit <= 0) return []
  const { sessionLeases, sessions } = tablesOf(db)
  const claimable = db
    .select({ sessionId: sessionLeases.sessionId })
    .from(sessionLeases)
    .innerJoin(sessions, eq(sessions.id, sessionLeases.sessionId))
    .where(
      and(
        ne(sessions.status, 'logged_out'),
        ownOnly
          ? eq(sessionLeases.owner, hostId)
          : or(
              isNull(sessionLeases.owner),
              isNull(sessionLeases.expiresAt),
              lte(sessionLeases.expiresAt, databaseNow(db)),
              ownFromBefore ? eq(sessionLeases.owner, hostId) : undefined
            )
      )
    )
    .orderBy(asc(sessionLeases.expiresAt), asc(sessionLeases.sessionId))
    .limit(limit)
  return db
    .update(sessionLeases)
    .set({ owner: hostId, generation: sql`${sessionLeases.generation} + 1`, expiresAt: databaseNowPlus(db, ttlMs) })
    .where(inArray(sessionLeases.sessionId, sql`(${claimable.getSQL()}${skipLockedRows(db, sessionLeases)})`))
    .returning({ sessionId: sessionLeases.sessionId, generation: sessionLeases.generation })
}

/**
 * Extends this host's leases on the sessions it runs; what comes back is what it still holds (with
 * the generation it holds). A lease under its id that it does not run (left from before a restart)
 * is not renewed: it runs out and another host, or this one, takes it.
 */
export const renewLeases = async (db: DbExecutor, hostId: string, ttlMs: number, running: readonly string[]) => {
  if (running.length === 0) return []
  const { sessionLeases } = tablesOf(db)
  return db
    .update(sessionLeases)
    .set({ expiresAt: databaseNowPlus(db, ttlMs) })
    .where(and(eq(sessionLeases.owner, hostId), inArray(sessionLeases.sessionId, [...running])))
    .returning({ sessionId: sessionLeases.sessionId, generation: sessionLeases.generation })
}

/** Lets a session go (a clean stop, or a hand-over to even out the shares): another host may take it at once. */
export const releaseLease = async (db: DbExecutor, sessionId: string, fence: Fence): Promise<boolean> => {
  const { sessionLeases } = tablesOf(db)
  const released = await db
    .update(sessionLeases)
    // The owner stays, with no expiry: any host may take it at once, and this one, restarted, takes it back first.
    .set({ expiresAt: null })
    .where(and(eq(sessionLeases.sessionId, sessionId), eq(sessionLeases.owner, fence.hostId), eq(sessionLeases.generation, fence.generation)))
    .returning({ sessionId: sessionLeases.sessionId })
  return released.length > 0
}

/** Who holds each session now (unexpired leases only): the routing answer for other hosts. */
export const currentOwners = async (db: DbExecutor, sessionIds?: readonly string[]): Promise<Map<string, string>> => {
  const { sessionLeases } = tablesOf(db)
  const rows = await db
    .select({ sessionId: sessionLeases.sessionId, owner: sessionLeases.owner })
    .from(sessionLeases)
    .where(and(gt(sessionLeases.expiresAt, databaseNow(db)), sessionIds ? inArray(sessionLeases.sessionId, [...sessionIds]) : undefined))
  return new Map(rows.flatMap(row => (row.owner ? [[row.sessionId, row.owner] as const] : [])))
}

/** How many sessions need a host (all but the logged-out ones): the fleet shares them out. */
export const countHostedSessions = async (db: DbExecutor): Promise<number> => {
  const { sessions } = tablesOf(db)
  const [row] = await db.select({ n: sql<number>`count(*)` }).from(sessions).where(ne(sessions.status, 'logged_out'))
  return Number(row?.n ?? 0)
}

/**
 * Which of `sessionIds` need a host, as countHostedSessions counts them: a host weighs what it
 * holds against its share with these, not with the logged-out sessions it keeps for their next link.
 */
export const hostedAmong = async (db: DbExecutor, sessionIds: readonly string[]): Promise<string[]> => {
  if (sessionIds.length === 0) return []
  const { sessions } = tablesOf(db)
  const rows = await db
    .select({ id: sessions.id })
    .from(sessions)
    .where(and(inArray(sessions.id, [...sessionIds]), ne(sessions.status, 'logged_out')))
  return rows.map(row => row.id)
}

/**
 * The rows (of sessions named by `sessionId`, a column of the statement's table) this host should
 * work on: those of sessions it holds, and, on the fleet's leader, those of sessions nobody holds.
 */
export const sessionsHandledHere = (db: DbExecutor, sessionId: SQLWrapper, scope: { hostId: string; leader: boolean }): SQL => {
  const { sessionLeases } = tablesOf(db)
  const lease = (owner: SQL | undefined) =>
    db
      .select({ one: sql`1` })
      .from(sessionLeases)
      .where(and(eq(sessionLeases.sessionId, sessionId as unknown as string), owner, gt(sessionLeases.expiresAt, databaseNow(db))))
  const held = exists(lease(eq(sessionLeases.owner, scope.hostId)))
  return scope.leader ? (or(held, notExists(lease(sql`${sessionLeases.owner} IS NOT NULL`))) as SQL) : held
}
