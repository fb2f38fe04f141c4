/** The webhook event types, a contract between the gateway (which validates filters) and the host. */
export const WEBHOOK_EVENT_TYPES = ['session.status', 'session.qr', 'message.received', 'message.status', 'otp.status'] as const

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number]
