import { and, desc, eq, inArray } from 'drizzle-orm'
import { appError } from '../../shared/errors.ts'
import { tablesOf } from '../db/database.ts'
import type { Db } from '../db/database.ts'

export type DeadLetter = {
  eventId: string
  sessionId: string
  type: string
  /** `session` for the session's own webhook, `global` for the operator's. */
  endpoint: 'session' | 'global'
  url: string
  attempts: number
  lastError: string | null
  createdAt: string
  deadAt: string | null
}

/** Deliveries that ran out of retries, newest first; `sessionIds` narrows them (undefined: all). */
export const listDeadLetters = async (db: Db, input: { sessionIds?: readonly string[]; limit?: number }): Promise<DeadLetter[]> => {
  const { webhookDeliveries, webhookEndpoints, webhookEvents } = tablesOf(db)
  const rows = await db
    .select({
      eventId: webhookDeliveries.eventId,
      sessionId: webhookDeliveries.sessionId,
      type: webhookEvents.type,
      endpointSession: webhookEndpoints.sessionId,
      url: webhookEndpoints.url,
      attempts: webhookDeliveries.attempts,
      lastError: webhookDeliveries.lastError,
      createdAt: webhookEvents.createdAt,
      deadAt: webhookDeliveries.deadAt
    })
    .from(webhookDeliveries)
    .innerJoin(webhookEvents, eq(webhookEvents.id, webhookDeliveries.eventId))
    .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
    .where(and(eq(webhookDeliveries.status, 'dead'), input.sessionIds ? inArray(webhookDeliveries.sessionId, [...input.sessionIds]) : undefined))
    .orderBy(desc(webhookDeliveries.deadAt))
    .limit(input.limit ?? 100)
  return rows.map(({ endpointSession, createdAt, deadAt, ...row }) => ({
    ...row,
    endpoint: endpointSession === null ? 'global' : 'session',
    createdAt: createdAt.toISOString(),
    deadAt: deadAt === null ? null : new Date(deadAt).toISOString()
  }))
}

/**
 * Puts an event's dead deliveries back in the queue with a fresh retry window; the receiver sees
 * the same event id again. Its stream waits for it, as for any earlier event.
 */
export const replayDeadLetter = async (
  db: Db,
  input: { eventId: string; sessionIds?: readonly string[]; now?: number }
): Promise<{ eventId: string; requeued: number }> => {
  const { webhookDeliveries } = tablesOf(db)
  const now = input.now ?? Date.now()
  const requeued = await db
    .update(webhookDeliveries)
    .set({ status: 'pending', attempts: 0, nextAttemptAt: now, firstFailedAt: null, deadAt: null })
    .where(
      and(
        eq(webhookDeliveries.eventId, input.eventId),
        eq(webhookDeliveries.status, 'dead'),
        input.sessionIds ? inArray(webhookDeliveries.sessionId, [...input.sessionIds]) : undefined
      )
    )
    .returning({ eventId: webhookDeliveries.eventId })
  if (requeued.length === 0) throw appError('NOT_FOUND', `No dead letter for event ${input.eventId}`)
  return { eventId: input.eventId, requeued: requeued.length }
}
