import { z } from '../zod.ts'
import { SessionId } from '../ids.ts'
import { WEBHOOK_EVENT_TYPES } from '../webhook-events.ts'
import { WEBHOOK_DELIVERY_STATUSES } from '../statuses.ts'
import { hostRoute } from './host-route.ts'
import { ListQuery, page } from './list-page.ts'

const Secret = z.string().regex(/^whsec_[A-Za-z0-9+/]+={0,2}$/)

/** PUT /internal/webhooks/endpoints/:sessionId: URL and secret already checked by the gateway. */
export const EndpointRequest = z.object({
  url: z.url({ protocol: /^https?$/ }),
  events: z.array(z.enum(WEBHOOK_EVENT_TYPES)).min(1).nullable().optional(),
  /** Rotates: this secret signs first from now on. */
  newSecret: Secret.optional(),
  /** Used only when the endpoint has no active secret (a new webhook). */
  secretIfNone: Secret.optional()
})

/** A session's webhook as the host shows it: never its secrets. */
export const EndpointView = z.object({ sessionId: z.string(), url: z.string(), events: z.array(z.string()).nullable() })
export type EndpointView = z.infer<typeof EndpointView>

/** What setting one answers: whether the secret the gateway offered was taken (a new webhook). */
export const EndpointSetAnswer = EndpointView.extend({ secretCreated: z.boolean() })

export const EndpointRemovedAnswer = z.object({ sessionId: z.string() })

/** A delivery that ran out of retries. */
export const DeadLetter = z.object({
  eventId: z.string(),
  sessionId: z.string(),
  type: z.string(),
  /** `session` for the session's own webhook, `global` for the operator's. */
  endpoint: z.enum(['session', 'global']),
  url: z.string(),
  attempts: z.number(),
  lastError: z.string().nullable(),
  createdAt: z.string(),
  deadAt: z.string().nullable()
})
export type DeadLetter = z.infer<typeof DeadLetter>

/** POST /internal/webhooks/dead-letters/:eventId/replay: the sessions the token may use. */
export const ReplayRequest = z.object({ sessionIds: z.array(SessionId).optional() })
export const ReplayAnswer = z.object({ eventId: z.string(), requeued: z.number() })

/** One event to one endpoint, as the delivery log shows it: each attempt's outcome, never the payload. */
export const WebhookDelivery = z.object({
  eventId: z.string(),
  eventType: z.string(),
  sessionId: z.string(),
  /** `global` for the operator's webhook (WEBHOOK_URL), `whe_…` for the session's own. */
  endpointId: z.string(),
  status: z.enum(WEBHOOK_DELIVERY_STATUSES),
  attempts: z.number(),
  lastAttemptAt: z.string().nullable(),
  lastError: z.string().nullable(),
  /** The receiver's HTTP status on the last attempt; null when none answered (unreachable, timed out). */
  lastStatusCode: z.number().nullable(),
  /** When the next attempt is due; null unless pending. */
  nextAttemptAt: z.string().nullable(),
  deliveredAt: z.string().nullable(),
  deadAt: z.string().nullable(),
  createdAt: z.string()
})
export type WebhookDelivery = z.infer<typeof WebhookDelivery>

/** GET /internal/webhooks/deliveries: the delivery log, newest event first. */
export const DeliveryListQuery = ListQuery.pick({ sessionId: true, sessions: true, cursor: true, limit: true }).extend({
  status: z.enum(WEBHOOK_DELIVERY_STATUSES).optional()
})

/** The webhook routes of the host's internal API. */
export const WEBHOOK_ROUTES = {
  setEndpoint: hostRoute({ method: 'PUT', pattern: '/internal/webhooks/endpoints/:sessionId', body: EndpointRequest, answer: EndpointSetAnswer }),
  getEndpoint: hostRoute({ method: 'GET', pattern: '/internal/webhooks/endpoints/:sessionId', body: undefined, answer: EndpointView }),
  removeEndpoint: hostRoute({ method: 'DELETE', pattern: '/internal/webhooks/endpoints/:sessionId', body: undefined, answer: EndpointRemovedAnswer }),
  /** `?sessions=a,b` narrows the list to the token's sessions; without it, every session's. */
  deadLetters: hostRoute({ method: 'GET', pattern: '/internal/webhooks/dead-letters', body: undefined, answer: z.array(DeadLetter) }),
  deliveries: hostRoute({ method: 'GET', pattern: '/internal/webhooks/deliveries', body: undefined, answer: page(WebhookDelivery) }),
  replay: hostRoute({ method: 'POST', pattern: '/internal/webhooks/dead-letters/:eventId/replay', body: ReplayRequest, answer: ReplayAnswer })
}
