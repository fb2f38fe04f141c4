import { and, eq, inArray, lte, ne, notExists } from 'drizzle-orm'
import { tablesOf } from '../db/database.ts'
import type { DbExecutor } from '../db/database.ts'

/** How long a delivered event stays in the outbox (for support and audits) before it is removed. */
export const DELIVERED_EVENT_RETENTION_MS = 7 * 24 * 60 * 60 * 1000

/**
 * Removes events older than the retention time whose every delivery got through, with their
 * deliveries, at most `batch` per call so one sweep never holds the database long. Events still
 * pending or dead-lettered stay until they are delivered (a replay) however old they are.
 * Returns how many events went.
 */
export const pruneDeliveredEvents = async (db: DbExecutor, now: number, { keepMs = DELIVERED_EVENT_RETENTION_MS, batch = 500 } = {}): Promise<number> => {
  const { webhookDeliveries, webhookEvents } = tablesOf(db)
  const undelivered = db
    .select({ eventId: webhookDeliveries.eventId })
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.eventId, webhookEvents.id), ne(webhookDeliveries.status, 'delivered')))
  const old = db
    .select({ id: webhookEvents.id })
    .from(webhookEvents)
    .where(and(lte(webhookEvents.createdAt, new Date(now - keepMs)), notExists(undelivered)))
    .limit(batch)
  // Deliveries go with their event (ON DELETE CASCADE).
  const removed = await db.delete(webhookEvents).where(inArray(webhookEvents.id, old)).returning({ id: webhookEvents.id })
  return removed.length
}
