import { Hono } from 'hono'
import { z } from 'zod'
import { appError, ok } from '../../shared/errors.ts'
import { internalRequestAuth } from '../../shared/internal-request-auth.ts'
import type { SigningSecret } from '../../shared/internal-signing.ts'
import { WEBHOOK_DELIVERY_PATH, WEBHOOK_EVENT_TYPES } from '../../shared/webhook-events.ts'
import { deliverWebhook } from './deliver.ts'
import type { DeliverDeps } from './deliver.ts'
import { isWebhookSecret } from './standard-webhooks.ts'
import { EventId } from '../../shared/ids.ts'

const DeliveryRequest = z.object({
  eventId: EventId,
  type: z.enum(WEBHOOK_EVENT_TYPES),
  timestamp: z.string(),
  data: z.record(z.string(), z.unknown()),
  url: z.url({ protocol: /^https?$/ }),
  secrets: z.array(z.string().refine(isWebhookSecret)).min(1).max(5)
})

const MAX_BODY_BYTES = 1024 * 1024

/**
 * The route the session host calls to deliver one webhook attempt. Only the host may call it: the
 * request must carry a fresh signature made with the internal secret, checked as the host checks
 * the gateway's (shared/internal-request-auth.ts), with its own nonce cache.
 */
export const webhookDeliveryRoute = (deps: { secret: SigningSecret; clock?: () => number } & DeliverDeps) =>
  new Hono().post(
    WEBHOOK_DELIVERY_PATH,
    internalRequestAuth({ secret: deps.secret, maxBodyBytes: MAX_BODY_BYTES, ...(deps.clock ? { clock: deps.clock } : {}) }),
    async c => {
      const body: unknown = await c.req.json().catch(() => {
        throw appError('INVALID_JSON')
      })
      const request = DeliveryRequest.parse(body)
      return c.json(ok('Delivery attempted', await deliverWebhook(request, deps)))
    }
  )
