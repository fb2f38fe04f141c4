type ErrorSpec = { status: number; description: string }

/**
 * Stable error codes. Clients branch on `code`, so a code is never renamed or reused for another
 * meaning; add a new one instead. Descriptions feed the OpenAPI document and default messages.
 */
export const ERROR_CODES = {
  VALIDATION_ERROR: { status: 400, description: 'The request is invalid; see error.details for each offending field.' },
  INVALID_JSON: { status: 400, description: 'The request body is not valid JSON.' },
  MALFORMED_REQUEST: { status: 400, description: 'The HTTP request itself is malformed (its request line, path or headers).' },
  UNAUTHORIZED: { status: 401, description: 'A valid bearer token is required.' },
  TOKEN_EXPIRED: { status: 401, description: 'The bearer token has expired.' },
  INTERNAL_AUTH_FAILED: { status: 401, description: 'The internal request could not be authenticated.' },
  INSUFFICIENT_SCOPE: { status: 403, description: 'The token lacks the scope this operation requires.' },
  SESSION_FORBIDDEN: { status: 403, description: 'The token is not allowed to use this session.' },
  NOT_FOUND: { status: 404, description: 'The requested resource does not exist.' },
  SESSION_NOT_FOUND: { status: 404, description: 'The session does not exist.' },
  OTP_NOT_FOUND: { status: 404, description: 'The OTP does not exist.' },
  MESSAGE_NOT_FOUND: { status: 404, description: 'The message does not exist.' },
  SESSION_EXISTS: { status: 409, description: 'A session with this ID already exists.' },
  SESSION_ALREADY_CONNECTED: { status: 409, description: 'The session is already connected.' },
  OTP_NOT_PENDING: { status: 409, description: 'The OTP is no longer pending (approved, expired, canceled…); error.details.status says which.' },
  REQUEST_TIMEOUT: { status: 408, description: 'The request did not arrive in time.' },
  PAYLOAD_TOO_LARGE: { status: 413, description: 'The request body or uploaded file is too large.' },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    description: 'The content type or file type is not supported; error.details.accepted lists the types the route takes.'
  },
  HEADERS_TOO_LARGE: { status: 431, description: 'The request headers are too large.' },
  INVALID_PHONE_NUMBER: { status: 422, description: 'The phone number is not valid.' },
  NOT_ON_WHATSAPP: { status: 422, description: 'The phone number is not registered on WhatsApp.' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, description: 'The Idempotency-Key was already used with a different request body.' },
  URL_NOT_ALLOWED: { status: 422, description: 'The URL is not allowed.' },
  PAIRING_CODE_REFUSED: {
    status: 422,
    description: "WhatsApp refused the pairing-code request, so no code was issued; error.details has the server's serverCode and serverText."
  },
  RATE_LIMITED: { status: 429, description: 'Too many requests; retry after the time given in Retry-After.' },
  SEND_PACED: {
    status: 429,
    description:
      "The send governor holds back first messages to new chats (pacing, the daily cap, WhatsApp's own cap or the 463 breaker; error.details.reason says which); retry after Retry-After. Nothing was queued."
  },
  NEW_CHAT_CAP_REACHED: {
    status: 429,
    description:
      "WhatsApp's own cap on new chats is reached for this account, so the OTP was not sent: use another channel. Retry-After when the cycle end is known."
  },
  NEW_CHATS_PAUSED: {
    status: 429,
    description: 'New chats are paused after repeated 463 refusals (the account may be restricted), so the OTP was not sent: use another channel.'
  },
  INTERNAL_ERROR: { status: 500, description: 'An unexpected error occurred.' },
  HOST_UNAVAILABLE: { status: 502, description: 'The session host is unavailable.' },
  DATABASE_UNAVAILABLE: { status: 503, description: "The session host's database takes no writes (a full disk, a read-only file, a lock held elsewhere)." },
  SESSION_NOT_CONNECTED: { status: 503, description: 'The session is not connected to WhatsApp.' },
  SESSION_MOVED: {
    status: 421,
    description:
      'Another session host runs this session now; error.details.hostId names it. The gateway retries there once, so a client sees this only mid-failover.'
  },
  URL_FETCH_FAILED: { status: 422, description: 'The media URL could not be fetched (error status, timeout, too many redirects or a broken connection).' }
} as const satisfies Record<string, ErrorSpec>

export type ErrorCode = keyof typeof ERROR_CODES

export class AppError extends Error {
  override readonly name = 'AppError'
  readonly code: ErrorCode
  readonly status: number
  readonly details: Record<string, unknown> | undefined
  readonly headers: Record<string, string> | undefined

  constructor(code: ErrorCode, status: number, message: string, details?: Record<string, unknown>, headers?: Record<string, string>) {
    super(message)
    this.code = code
    this.status = status
    this.details = details
    this.headers = headers
  }
}

/** Builds an AppError whose status comes from the catalog, so code and status cannot disagree. */
export function appError(code: ErrorCode, message?: string, details?: Record<string, unknown>, headers?: Record<string, string>): AppError {
  const spec = ERROR_CODES[code]
  return new AppError(code, spec.status, message ?? spec.description, details, headers)
}

export type SuccessEnvelope<T> = { success: true; message: string; data: T }

export type ErrorEnvelope = {
  success: false
  message: string
  error: { code: ErrorCode; details?: Record<string, unknown>; requestId?: string }
}

/** A promise is never an answer: `ok(message, store.read())` without `await` would send `{}`. */
export function ok<T>(message: string, data: T extends PromiseLike<unknown> ? never : T): SuccessEnvelope<T> {
  return { success: true, message, data }
}

export function errorEnvelope(code: ErrorCode, message: string, details?: Record<string, unknown>, requestId?: string): ErrorEnvelope {
  const error: ErrorEnvelope['error'] = { code }
  if (details !== undefined) error.details = details
  if (requestId !== undefined) error.requestId = requestId
  return { success: false, message, error }
}
