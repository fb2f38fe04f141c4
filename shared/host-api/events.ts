import { z } from '../zod.ts'
import { WEBHOOK_EVENT_TYPES } from '../webhook-events.ts'
import { hostRoute } from './host-route.ts'
import { ListQuery } from './list-page.ts'

/** The longest a host holds a read open waiting for events (the gateway's keep-alive interval is shorter). */
export const EVENT_WAIT_MAX_MS = 30_000

/** A place in the event stream: what an SSE `id:` carries and `Last-Event-ID` brings back. */
export const StreamPosition = z
  .string()
  .regex(/^\d{1,15}$/, 'must be the id of an event this stream sent')
  .transform(Number)

/** `types` as a query parameter: event types, comma-separated (the gateway's filter, passed on as it is). */
export const EventTypesParam = z
  .string()
  .max(200)
  .transform(list => list.split(','))
  .pipe(z.array(z.enum(WEBHOOK_EVENT_TYPES)).min(1))

/**
 * GET /internal/events: the events after a place, in stream order, for the token's sessions. Without
 * `after`, only where the stream stands now (a new reader starts there). The host answers as soon
 * as there is an event to show, or after `waitMs` with none.
 */
export const EventReadQuery = ListQuery.pick({ sessionId: true, sessions: true }).extend({
  after: StreamPosition.optional(),
  types: EventTypesParam.optional(),
  waitMs: z.coerce.number().int().min(0).max(EVENT_WAIT_MAX_MS).default(0),
  limit: z.coerce.number().int().min(1).max(500).default(100)
})
export type EventReadQuery = z.infer<typeof EventReadQuery>

/** One event as the stream shows it: the webhook body, with its id and place. */
export const StreamEvent = z.object({
  position: z.number().int(),
  id: z.string(),
  type: z.enum(WEBHOOK_EVENT_TYPES),
  timestamp: z.string(),
  data: z.record(z.string(), z.unknown())
})
export type StreamEvent = z.infer<typeof StreamEvent>

/** The events found, and the place to read after next (past events the caller may not see, too). */
export const EventReadAnswer = z.object({ events: z.array(StreamEvent), next: z.number().int() })
export type EventReadAnswer = z.infer<typeof EventReadAnswer>

export const EVENT_ROUTES = {
  read: hostRoute({ method: 'GET', pattern: '/internal/events', body: undefined, answer: EventReadAnswer })
}
