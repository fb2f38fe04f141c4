import { eq, isNull, or, sql } from 'drizzle-orm'
import type { WebhookEventType } from '../../shared/webhook-events.ts'
import { tablesOf } from '../db/database.ts'
import type { DbExecutor } from '../db/database.ts'
import { lockKey } from '../db/dialect-sql.ts'
import { reusedStatement } from '../db/reused-statement.ts'

export type RecordEventInput = {
  sessionId: string
  type: WebhookEventType
  data: Record<string, unknown>
  /** When it happened (ms); defaults to now. */
  at?: number
}

/**
 * Deliveries queued by recordEvent in this process so far (rolled back ones included). A host
 * wakes its dispatcher after an event only when this moved: with no endpoint that wants the event
 * there is nothing to deliver, and a pass costs two queries. A wake it skips wrongly would only wait
 * for the dispatcher's next poll.
 */
let deliveriesQueued = 0
export const queuedDeliveries = (): number => deliveriesQueued

const randomId = (prefix: string): string => {
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  return prefix + Buffer.from(bytes).toString('base64url')
}

/** The endpoints that may want a session's events: its own and the global ones. */
const endpointsOf = reusedStatement(on => {
  const { webhookEndpoints } = tablesOf(on)
  return on
    .select({ id: webhookEndpoints.id, events: webhookEndpoints.events })
    .from(webhookEndpoints)
    .where(or(eq(webhookEndpoints.sessionId, sql.placeholder('sessionId')), isNull(webhookEndpoints.sessionId)))
})

/**
 * The event row, with the next number in the session's sequence computed by the INSERT itself; on
 * PostgreSQL the session's lock keeps two hosts' transactions from computing the same one.
 */
const insertEvent = reusedStatement(on => {
  const { webhookEvents } = tablesOf(on)
  return on
    .insert(webhookEvents)
    .values({
      id: sql.placeholder('id'),
      sessionId: sql.placeholder('sessionId'),
      seq: sql`(SELECT COALESCE(MAX(${webhookEvents.seq}), 0) + 1 FROM ${webhookEvents} WHERE ${webhookEvents.sessionId} = ${sql.placeholder('sessionId')})`,
      type: sql.placeholder('type'),
      payload: sql.placeholder('payload'),
      createdAt: sql.placeholder('createdAt')
    })
    .returning({ seq: webhookEvents.seq })
})

/**
 * Writes an event to the outbox, with one pending delivery per endpoint that wants it (the
 * session's own and the global one). Call it inside the transaction that makes the change the
 * event reports, so both are committed or neither. Every event is stored, wanted by an endpoint
 * or not: the event stream (GET /api/events) shows them all, and the retention sweep removes
 * those no endpoint wanted sooner. Returns the event id.
 */
export const recordEvent = async (tx: DbExecutor, { sessionId, type, data, at = Date.now() }: RecordEventInput): Promise<string> => {
  const { webhookDeliveries } = tablesOf(tx)
  const endpoints = (await endpointsOf(tx).execute({ sessionId })).filter(endpoint => endpoint.events === null || endpoint.events.includes(type))

  const id = randomId('evt_')
  await lockKey(tx, `events:${sessionId}`)
  const [inserted] = await insertEvent(tx).execute({ id, sessionId, type, payload: { sessionId, ...data }, createdAt: new Date(at) })
  if (!inserted) throw new Error('recordEvent: the insert returned no row')
  const { seq } = inserted
  if (endpoints.length > 0) {
    await tx.insert(webhookDeliveries).values(endpoints.map(endpoint => ({ eventId: id, endpointId: endpoint.id, sessionId, seq, nextAttemptAt: at })))
    deliveriesQueued += endpoints.length
  }
  return id
}
