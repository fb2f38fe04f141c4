import { and, eq, inArray, lte, ne, notExists } from 'drizzle-orm'
import type { DbExecutor } from '../db/connection.ts'
import { webhookDeliveries, webhookEvents } from '../db/schema.ts'

/** How long a delivered event stays in the outbox (for support and audits) before it is removed. */
export const DELIVERED_EVENT_RETENTION_MS = 7 * 24 * 60 * 60 * 1000

/**
 * Removes events older than the retention time whose every delivery got through, with their
 * deliveries, at most `batch` per call so one sweep never holds the database long. Events still
 * pending or dead-lettered stay until they are delivered (a replay) however old they are.
 * Returns how many events went.
 */
export const pruneDeliveredEvents = (db: DbExecutor, now: number, { keepMs = DELIVERED_EVENT_RETENTION_MS, batch = 500 } = {}): number => {
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
  return db.delete(webhookEvents).where(inArray(webhookEvents.id, old)).run().changes
}
