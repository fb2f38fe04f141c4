import { Hono } from 'hono'
import { z } from 'zod'
import { appError, ok } from '../../shared/errors.ts'
import { createNonceCache, verifyRequest } from '../../shared/internal-signing.ts'
import type { SigningSecret } from '../../shared/internal-signing.ts'
import { WEBHOOK_DELIVERY_PATH, WEBHOOK_EVENT_TYPES } from '../../shared/webhook-events.ts'
import { deliverWebhook } from './deliver.ts'
import type { DeliverDeps } from './deliver.ts'
import { isWebhookSecret } from './standard-webhooks.ts'

const DeliveryRequest = z.object({
  eventId: z.string().regex(/^evt_[A-Za-z0-9_-]{8,64}$/),
  type: z.enum(WEBHOOK_EVENT_TYPES),
  timestamp: z.string(),
  data: z.record(z.string(), z.unknown()),
  url: z.url({ protocol: /^https?$/ }),
  secrets: z.array(z.string().refine(isWebhookSecret)).min(1).max(5)
})

const MAX_BODY_BYTES = 1024 * 1024

/**
 * The route the session host calls to deliver one webhook attempt. Only the host may call it: the
 * request must carry a fresh signature made with the internal secret, checked like the host checks
 * the gateway's, with its own nonce cache.
 */
export const webhookDeliveryRoute = (deps: { secret: SigningSecret; clock?: () => number } & DeliverDeps) => {
  const seenNonce = createNonceCache()
  return new Hono().post(WEBHOOK_DELIVERY_PATH, async c => {
    const declared = Number(c.req.header('content-length') ?? 0)
    if (declared > MAX_BODY_BYTES) throw appError('PAYLOAD_TOO_LARGE')
    const bytes = new Uint8Array(await c.req.arrayBuffer())
    if (bytes.length > MAX_BODY_BYTES) throw appError('PAYLOAD_TOO_LARGE')
    const url = new URL(c.req.url)
    const verified = await verifyRequest({
      secret: deps.secret,
      method: c.req.method,
      pathWithQuery: `${url.pathname}${url.search}`,
      body: bytes,
      headers: c.req.raw.headers,
      seenNonce,
      ...(deps.clock ? { now: deps.clock() } : {})
    })
    if (!verified.ok) throw appError('INTERNAL_AUTH_FAILED', 'Internal request signature refused', { reason: verified.reason })
    let body: unknown
    try {
      body = JSON.parse(new TextDecoder().decode(bytes))
    } catch {
      throw appError('INVALID_JSON')
    }
    const request = DeliveryRequest.parse(body)
    return c.json(ok('Delivery attempted', await deliverWebhook(request, deps)))
  })
}
