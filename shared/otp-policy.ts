/** The bounds of an OTP, one definition for the gateway's validation and the host's. */
export const OTP_TTL_SECONDS = { min: 30, max: 3600, default: 300 } as const

/** How many digits a code has. */
export const OTP_LENGTH = { min: 4, max: 10, default: 6 } as const

/** A code as the user types it. */
export const OTP_CODE_PATTERN = /^\d{4,10}$/

/** Wrong codes (the right one included, since every attempt counts) before an OTP locks. */
export const OTP_MAX_ATTEMPTS = 5
