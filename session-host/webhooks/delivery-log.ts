import { and, eq, inArray, isNotNull } from 'drizzle-orm'
import type { ListFilter, Page } from '../../shared/host-api/list-page.ts'
import type { WebhookDelivery } from '../../shared/host-api/webhooks.ts'
import { tablesOf } from '../db/database.ts'
import type { Db } from '../db/database.ts'
import { keyset, toPage } from '../db/keyset-page.ts'

type DeliveryStatus = WebhookDelivery['status']

const isoOf = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString())

/**
 * Each event's delivery to each endpoint, newest event first, with where its attempts stand. A
 * token limited to some sessions sees their own webhooks' deliveries, never the operator's global
 * endpoint (its URL and outcomes are the operator's business).
 */
export const listDeliveries = async (
  db: Db,
  filter: Pick<ListFilter, 'sessionId' | 'sessions' | 'cursor' | 'limit'> & { status?: DeliveryStatus }
): Promise<Page<WebhookDelivery>> => {
  const { webhookDeliveries: deliveries, webhookEndpoints: endpoints, webhookEvents: events } = tablesOf(db)
  // An event goes to one endpoint or two (its session's and the global one): the key is both ids.
  const { after, orderBy } = keyset(events.createdAt, [deliveries.eventId, deliveries.endpointId], filter.cursor)
  const rows = await db
    .select({ delivery: deliveries, eventType: events.type, createdAt: events.createdAt })
    .from(deliveries)
    .innerJoin(events, eq(events.id, deliveries.eventId))
    .innerJoin(endpoints, eq(endpoints.id, deliveries.endpointId))
    .where(
      and(
        filter.sessionId === undefined ? undefined : eq(deliveries.sessionId, filter.sessionId),
        filter.sessions === undefined ? undefined : and(inArray(deliveries.sessionId, [...filter.sessions]), isNotNull(endpoints.sessionId)),
        filter.status === undefined ? undefined : eq(deliveries.status, filter.status),
        after
      )
    )
    .orderBy(...orderBy)
    .limit(filter.limit + 1)
  return toPage(
    rows,
    filter.limit,
    ({ delivery, createdAt }) => ({ createdAt: createdAt.getTime(), key: [delivery.eventId, delivery.endpointId] }),
    ({ delivery, eventType, createdAt }) => ({
      eventId: delivery.eventId,
      eventType,
      sessionId: delivery.sessionId,
      endpointId: delivery.endpointId,
      status: delivery.status,
      attempts: delivery.attempts,
      lastAttemptAt: isoOf(delivery.lastAttemptAt),
      lastError: delivery.lastError,
      lastStatusCode: delivery.lastStatusCode,
      nextAttemptAt: delivery.status === 'pending' ? isoOf(delivery.nextAttemptAt) : null,
      deliveredAt: isoOf(delivery.deliveredAt),
      deadAt: isoOf(delivery.deadAt),
      createdAt: createdAt.toISOString()
    })
  )
}
