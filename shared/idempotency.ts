/** How long an Idempotency-Key counts: a repeat within this time returns the first result. */
export const IDEMPOTENCY_KEY_TTL_HOURS = 24
export const IDEMPOTENCY_KEY_TTL_MS = IDEMPOTENCY_KEY_TTL_HOURS * 60 * 60 * 1000
