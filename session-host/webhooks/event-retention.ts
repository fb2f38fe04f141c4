import { and, eq, inArray, lte, ne, notExists, or } from 'drizzle-orm'
import { tablesOf } from '../db/database.ts'
import type { DbExecutor } from '../db/database.ts'

/** How long a delivered event stays in the outbox (for support and audits) before it is removed. */
export const DELIVERED_EVENT_RETENTION_MS = 7 * 24 * 60 * 60 * 1000

/** How long an event no endpoint wanted stays, for the event stream to show to a reader that reconnects. */
export const STREAM_EVENT_RETENTION_MS = 24 * 60 * 60 * 1000

/**
 * Removes events older than the retention time whose every delivery got through, with their
 * deliveries, and sooner the events no endpoint wanted, at most `batch` per call so one sweep
 * never holds the database long. Events still pending or dead-lettered stay until they are
 * delivered (a replay) however old they are. Returns how many events went.
 */
export const pruneDeliveredEvents = async (
  db: DbExecutor,
  now: number,
  { keepMs = DELIVERED_EVENT_RETENTION_MS, streamKeepMs = STREAM_EVENT_RETENTION_MS, batch = 500 } = {}
): Promise<number> => {
  const { webhookDeliveries, webhookEvents } = tablesOf(db)
  const undelivered = db
    .select({ eventId: webhookDeliveries.eventId })
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.eventId, webhookEvents.id), ne(webhookDeliveries.status, 'delivered')))
  const any = db.select({ eventId: webhookDeliveries.eventId }).from(webhookDeliveries).where(eq(webhookDeliveries.eventId, webhookEvents.id))
  const old = db
    .select({ id: webhookEvents.id })
    .from(webhookEvents)
    .where(
      or(
        and(lte(webhookEvents.createdAt, new Date(now - keepMs)), notExists(undelivered)),
        and(lte(webhookEvents.createdAt, new Date(now - streamKeepMs)), notExists(any))
      )
    )
    .limit(batch)
  // Deliveries go with their event (ON DELETE CASCADE).
  const removed = await db.delete(webhookEvents).where(inArray(webhookEvents.id, old)).returning({ id: webhookEvents.id })
  return removed.length
}
