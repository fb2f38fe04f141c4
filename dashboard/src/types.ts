import type { ApiSchemas } from './api-schema.ts'

/**
 * The public API's shapes the dashboard reads: generated from /api/openapi.json into
 * api-schema.ts (`npm run api-types`), so a change to what the gateway answers fails the
 * dashboard's type check instead of a screen.
 */
export type Session = ApiSchemas['Session']
export type SessionStatus = Session['status']
export type Qr = ApiSchemas['Qr']
export type Message = ApiSchemas['Message']
export type Otp = ApiSchemas['Otp']
export type Webhook = ApiSchemas['Webhook']
export type DeadLetter = ApiSchemas['DeadLetter']
export type Delivery = ApiSchemas['WebhookDelivery']
export type Stats = ApiSchemas['Stats']
export type Health = ApiSchemas['Health']
export type SendGovernor = ApiSchemas['SendGovernor']
export type Page<T> = { items: T[]; nextCursor: ApiSchemas['MessagePage']['nextCursor'] }

/** The event types a webhook may ask for (the document gives the field as plain strings). */
export const WEBHOOK_EVENTS = ['session.status', 'session.qr', 'message.received', 'message.status', 'otp.status'] as const
