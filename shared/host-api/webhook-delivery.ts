import { z } from '../zod.ts'
import { EventId } from '../ids.ts'
import { WEBHOOK_EVENT_TYPES } from '../webhook-events.ts'

/** The gateway's internal route that delivers one webhook; only the session host may call it. */
export const WEBHOOK_DELIVERY_PATH = '/internal/webhook-deliveries'

/**
 * The other direction: the host hands the gateway one webhook attempt (POST WEBHOOK_DELIVERY_PATH,
 * signed like every internal request); the gateway signs it with the
 * endpoint's secrets (Standard Webhooks) and posts `{ type, timestamp, data }` to `url`.
 */
export const WebhookDeliveryRequest = z.object({
  eventId: EventId,
  type: z.enum(WEBHOOK_EVENT_TYPES),
  /** When the event happened, ISO 8601. */
  timestamp: z.string(),
  data: z.record(z.string(), z.unknown()),
  url: z.url({ protocol: /^https?$/ }),
  /** `whsec_…` secrets, newest first; more than one while a rotation is in progress. */
  secrets: z.array(z.string().startsWith('whsec_')).min(1).max(5)
})
export type WebhookDeliveryRequest = z.infer<typeof WebhookDeliveryRequest>

export type WebhookDeliveryResult = { delivered: true; status: number } | { delivered: false; status?: number; error: string }
