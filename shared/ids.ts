import { z } from './zod.ts'

/**
 * The identifiers both processes pass each other, each defined once: what the gateway accepts in a
 * URL is what the host accepts and stores.
 */

/** A session id names folders and URL segments, so nothing that could escape them. */
export const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/
export const SessionId = z.string().regex(SESSION_ID_PATTERN)

/** An OTP id: the gateway makes `otp_` + 24 hex digits; older ids were any 8–64 URL-safe characters. */
export const OTP_ID_PATTERN = /^[A-Za-z0-9_-]{8,64}$/
export const OtpId = z.string().regex(OTP_ID_PATTERN)

/** A webhook event id, as `webhook-id` carries it. */
export const EVENT_ID_PATTERN = /^evt_[A-Za-z0-9_-]{8,64}$/
export const EventId = z.string().regex(EVENT_ID_PATTERN)

/** A WhatsApp message id as the API takes it in a path (Baileys makes 3EB0… hex ids). */
export const MESSAGE_ID_PATTERN = /^[A-Za-z0-9]{8,64}$/
export const MessageId = z.string().regex(MESSAGE_ID_PATTERN)

/** A phone number's digits, E.164 without the `+`. */
export const PHONE_DIGITS_PATTERN = /^\d{5,20}$/
export const PhoneDigits = z.string().regex(PHONE_DIGITS_PATTERN)

/** A person's WhatsApp address: their number's digits at s.whatsapp.net. */
export const UserJid = z.string().regex(/^\d{5,20}@s\.whatsapp\.net$/)

/** A fresh OTP id: 96 random bits. */
export const newOtpId = (): string => `otp_${[...crypto.getRandomValues(new Uint8Array(12))].map(byte => byte.toString(16).padStart(2, '0')).join('')}`
