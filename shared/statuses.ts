/**
 * The one vocabulary of statuses: the public API, the host's rows, its events and the metrics all
 * use these words (../API.md).
 */

/** Where a message stands on its way to the recipient. */
export const MESSAGE_STATUSES = ['queued', 'sending', 'sent', 'delivered', 'read', 'failed'] as const
export type MessageStatus = (typeof MESSAGE_STATUSES)[number]

/** Where an OTP stands; how its message is doing is a separate `delivery`. */
export const OTP_STATUSES = ['pending', 'approved', 'expired', 'max_attempts_reached', 'canceled', 'failed'] as const
export type OtpStatus = (typeof OTP_STATUSES)[number]
