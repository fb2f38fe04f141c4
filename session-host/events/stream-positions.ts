import { asc, eq, isNull, sql } from 'drizzle-orm'
import { tablesOf, writeTransaction } from '../db/database.ts'
import type { Db } from '../db/database.ts'
import { tryLockKey } from '../db/dialect-sql.ts'

/** How many events one pass numbers; a backlog takes several passes. */
const BATCH = 1_000

/**
 * Gives the committed events that have no place in the event stream yet the next places, in one
 * statement: a session's events in their `seq` order. Only committed rows are seen, so an event
 * committed later always gets a higher place than every event a reader has already been shown —
 * which a sequence taken at insert time would not promise on PostgreSQL, where transactions
 * commit in any order. Writers are never held up: only the numbering runs one at a time, under a
 * lock that a host finding it taken simply skips. Returns how many events it numbered.
 */
export const assignStreamPositions = async (db: Db): Promise<number> => {
  // Readers call this every poll: a read says whether there is anything to number, so an idle
  // stream never takes the write lock (SQLite's BEGIN IMMEDIATE holds every other writer).
  const { webhookEvents: events } = tablesOf(db)
  const [pending] = await db.select({ id: events.id }).from(events).where(isNull(events.streamPos)).limit(1)
  if (!pending) return 0
  return writeTransaction(db, async tx => {
    if (!(await tryLockKey(tx, 'events:stream-positions'))) return 0
    const { webhookEvents } = tablesOf(tx)
    const head = tx.select({ head: sql`COALESCE(MAX(${webhookEvents.streamPos}), 0)` }).from(webhookEvents)
    const numbered = tx
      .select({
        id: webhookEvents.id,
        pos: sql<number>`(${head}) + row_number() OVER (ORDER BY ${webhookEvents.sessionId}, ${webhookEvents.seq})`.as('pos')
      })
      .from(webhookEvents)
      .where(isNull(webhookEvents.streamPos))
      .orderBy(asc(webhookEvents.sessionId), asc(webhookEvents.seq))
      .limit(BATCH)
      .as('numbered')
    const updated = await tx
      .update(webhookEvents)
      .set({ streamPos: sql`${numbered.pos}` })
      .from(numbered)
      .where(eq(webhookEvents.id, numbered.id))
      .returning({ id: webhookEvents.id })
    return updated.length
  })
}

/** Numbers the whole backlog, a batch at a time (the upkeep's job; readers call it before they read). */
export const assignAllStreamPositions = async (db: Db): Promise<number> => {
  let total = 0
  for (let round = 0; round < 100; round++) {
    const numbered = await assignStreamPositions(db)
    total += numbered
    if (numbered < BATCH) break
  }
  return total
}
