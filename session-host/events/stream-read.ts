import { and, asc, eq, gt, inArray, lte, max } from 'drizzle-orm'
import type { EventReadAnswer, StreamEvent } from '../../shared/host-api/events.ts'
import type { WebhookEventType } from '../../shared/webhook-events.ts'
import { tablesOf } from '../db/database.ts'
import type { Db } from '../db/database.ts'

export type StreamFilter = {
  sessionId?: string
  /** The token's sessions; undefined: every session. */
  sessions?: readonly string[]
  types?: readonly WebhookEventType[]
}

/** Where the stream stands: the highest place given so far (0 before any). */
export const streamHead = async (db: Db): Promise<number> => {
  const { webhookEvents } = tablesOf(db)
  const [row] = await db.select({ head: max(webhookEvents.streamPos) }).from(webhookEvents)
  return Number(row?.head ?? 0)
}

/**
 * The events placed after `after` that the filter lets through, in stream order, at most `limit`.
 * `next` is where the following read starts: past the last event shown, or past every event placed
 * so far when fewer than `limit` came, so a reader never walks again over others' events.
 */
export const readStream = async (db: Db, after: number, filter: StreamFilter, limit: number): Promise<EventReadAnswer> => {
  const { webhookEvents: events } = tablesOf(db)
  // The head first: anything placed after it is left for the next read, never skipped.
  const head = await streamHead(db)
  if (head <= after) return { events: [], next: after }
  const rows = await db
    .select({ position: events.streamPos, id: events.id, type: events.type, payload: events.payload, createdAt: events.createdAt })
    .from(events)
    .where(
      and(
        gt(events.streamPos, after),
        lte(events.streamPos, head),
        filter.sessionId === undefined ? undefined : eq(events.sessionId, filter.sessionId),
        filter.sessions === undefined ? undefined : inArray(events.sessionId, [...filter.sessions]),
        filter.types === undefined ? undefined : inArray(events.type, [...filter.types])
      )
    )
    .orderBy(asc(events.streamPos))
    .limit(limit)
  const shown: StreamEvent[] = rows.map(row => ({
    position: Number(row.position),
    id: row.id,
    type: row.type as WebhookEventType,
    timestamp: row.createdAt.toISOString(),
    data: row.payload
  }))
  return { events: shown, next: shown.length === limit ? shown.at(-1)!.position : head }
}
