/**
 * The status vocabularies of messages, OTPs and webhook deliveries: the public API, the host's
 * rows, its events and the metrics all use these words (../API.md). A session's statuses sit with
 * the rest of what a session is, in sessions.ts.
 */

/** Where a message stands on its way to the recipient. */
export const MESSAGE_STATUSES = ['queued', 'sending', 'sent', 'delivered', 'read', 'failed'] as const
export type MessageStatus = (typeof MESSAGE_STATUSES)[number]

/** Where an OTP stands; how its message is doing is a separate `delivery`. */
export const OTP_STATUSES = ['pending', 'approved', 'expired', 'max_attempts_reached', 'canceled', 'failed'] as const
export type OtpStatus = (typeof OTP_STATUSES)[number]

/** Where one webhook delivery stands: waiting (or retrying), delivered, or dead-lettered. */
export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'delivered', 'dead'] as const

/** Where a session host stands in the fleet: serving, handing its sessions over, or gone (cleanly, or silent past its lease). */
export const HOST_STATUSES = ['up', 'stopping', 'stopped'] as const
export type HostStatus = (typeof HOST_STATUSES)[number]
