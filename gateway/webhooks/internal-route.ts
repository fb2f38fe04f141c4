import { Hono } from 'hono'
import { ok } from '../../shared/errors.ts'
import { WebhookDeliveryRequest } from '../../shared/host-api/webhook-delivery.ts'
import { jsonBody } from '../../shared/json-body.ts'
import { internalRequestAuth } from '../../shared/internal-request-auth.ts'
import type { SigningSecret } from '../../shared/internal-signing.ts'
import { WEBHOOK_DELIVERY_PATH } from '../../shared/host-api/webhook-delivery.ts'
import { deliverWebhook } from './deliver.ts'
import type { DeliverDeps } from './deliver.ts'
import { isWebhookSecret } from './standard-webhooks.ts'

// The secrets must be keys this gateway can sign with, not just look like them.
const DeliveryRequest = WebhookDeliveryRequest.refine(request => request.secrets.every(isWebhookSecret), { path: ['secrets'], message: 'not a webhook secret' })

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
      const request = await jsonBody(c, DeliveryRequest)
      return c.json(ok('Delivery attempted', await deliverWebhook(request, deps)))
    }
  )
