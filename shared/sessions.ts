import { z } from './zod.ts'

/** Where a session stands; both the gateway's API and the host's rows use this list. */
export const SESSION_STATUSES = ['connecting', 'qr', 'connected', 'disconnected', 'logged_out', 'link_failed'] as const

export type SessionStatus = (typeof SESSION_STATUSES)[number]

/**
 * Why a session that could not link stopped in `link_failed` (the README says what the operator
 * does for each):
 * - `refs_exhausted`: the QR codes ran out before the phone scanned one;
 * - `pairing_code_expired`: the pairing code was not entered while it was valid;
 * - `pairing_refused`: WhatsApp refused to finish the pairing-code link (`serverError` has its code);
 * - `passkey_required`: the account must confirm the link with a passkey, which only WhatsApp's
 *   own web client can do.
 */
export const LINK_FAILURE_REASONS = ['refs_exhausted', 'pairing_code_expired', 'pairing_refused', 'passkey_required'] as const

export type LinkFailureReason = (typeof LINK_FAILURE_REASONS)[number]

/** What WhatsApp answered when it refused a step: its error code and text (`400`, `bad-request`). */
export type ServerError = { code: number; text: string }

export type LinkFailure = { reason: LinkFailureReason; serverError?: ServerError }

/** The name the phone lists a linked session under when the operator chose none. */
export const DEFAULT_DEVICE_LABEL = 'OTP Gateway'

/** The name the phone shows under Linked devices: any printable text, up to 50 characters. */
export const DeviceLabel = z
  .string()
  .trim()
  .min(1)
  .max(50)
  // A refinement, not a pattern: OpenAPI patterns have no Unicode classes.
  .refine(label => !/[\p{Cc}\p{Cf}]/u.test(label), 'must not contain control characters')
