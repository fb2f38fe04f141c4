import { z } from 'zod'
import { SessionId } from '../ids.ts'
import { WEBHOOK_EVENT_TYPES } from '../webhook-events.ts'
import { hostRoute } from './host-route.ts'

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

/** The webhook routes of the host's internal API. */
export const WEBHOOK_ROUTES = {
  setEndpoint: hostRoute({ method: 'PUT', pattern: '/internal/webhooks/endpoints/:sessionId', body: EndpointRequest, answer: EndpointSetAnswer }),
  getEndpoint: hostRoute({ method: 'GET', pattern: '/internal/webhooks/endpoints/:sessionId', body: undefined, answer: EndpointView }),
  removeEndpoint: hostRoute({ method: 'DELETE', pattern: '/internal/webhooks/endpoints/:sessionId', body: undefined, answer: EndpointRemovedAnswer }),
  /** `?sessions=a,b` narrows the list to the token's sessions; without it, every session's. */
  deadLetters: hostRoute({ method: 'GET', pattern: '/internal/webhooks/dead-letters', body: undefined, answer: z.array(DeadLetter) }),
  replay: hostRoute({ method: 'POST', pattern: '/internal/webhooks/dead-letters/:eventId/replay', body: ReplayRequest, answer: ReplayAnswer })
}
