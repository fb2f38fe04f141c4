/** The webhook event types, a contract between the gateway (which validates filters) and the host. */
export const WEBHOOK_EVENT_TYPES = ['session.status', 'session.qr', 'message.received', 'message.status', 'otp.status'] as const

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number]

/**
 * What the host hands the gateway for one delivery attempt. The gateway signs it with the
 * endpoint's secrets (Standard Webhooks) and posts `{ type, timestamp, data }` to `url`.
 */

/** The gateway's internal route that delivers one webhook; only the session host may call it. */
export const WEBHOOK_DELIVERY_PATH = '/internal/webhook-deliveries'
