import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { AppError, ERROR_CODES, appError, errorEnvelope, ok, type ErrorCode } from './errors.ts'

// The statuses API.md promises for each case; clients rely on them as much as on the codes.
const EXPECTED_STATUS: Record<ErrorCode, number> = {
  VALIDATION_ERROR: 400,
  INVALID_JSON: 400,
  MALFORMED_REQUEST: 400,
  UNAUTHORIZED: 401,
  TOKEN_EXPIRED: 401,
  INTERNAL_AUTH_FAILED: 401,
  INSUFFICIENT_SCOPE: 403,
  SESSION_FORBIDDEN: 403,
  NOT_FOUND: 404,
  SESSION_NOT_FOUND: 404,
  OTP_NOT_FOUND: 404,
  MESSAGE_NOT_FOUND: 404,
  SESSION_EXISTS: 409,
  SESSION_ALREADY_CONNECTED: 409,
  OTP_NOT_PENDING: 409,
  REQUEST_TIMEOUT: 408,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  HEADERS_TOO_LARGE: 431,
  INVALID_PHONE_NUMBER: 422,
  NOT_ON_WHATSAPP: 422,
  IDEMPOTENCY_KEY_REUSED: 422,
  URL_NOT_ALLOWED: 422,
  PAIRING_CODE_REFUSED: 422,
  RATE_LIMITED: 429,
  SEND_PACED: 429,
  NEW_CHAT_CAP_REACHED: 429,
  NEW_CHATS_PAUSED: 429,
  INTERNAL_ERROR: 500,
  HOST_UNAVAILABLE: 502,
  DATABASE_UNAVAILABLE: 503,
  SESSION_NOT_CONNECTED: 503,
  SESSION_MOVED: 421,
  URL_FETCH_FAILED: 422
}

describe('error catalog', () => {
  it('gives every code the status API.md documents', () => {
    const actual = Object.fromEntries(Object.entries(ERROR_CODES).map(([code, spec]) => [code, spec.status]))
    assert.deepEqual(actual, EXPECTED_STATUS)
  })

  it('names every code in UPPER_SNAKE', () => {
    for (const code of Object.keys(ERROR_CODES)) {
      assert.match(code, /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/, code)
    }
  })

  it('describes every code for the OpenAPI document', () => {
    for (const [code, spec] of Object.entries(ERROR_CODES)) {
      assert.ok(spec.description.trim().length > 0, code)
    }
  })

  it('uses only client or server error statuses', () => {
    for (const [code, spec] of Object.entries(ERROR_CODES)) {
      assert.ok(Number.isInteger(spec.status) && spec.status >= 400 && spec.status <= 599, code)
    }
  })
})

describe('AppError', () => {
  it('is an Error carrying code, status, details and headers', () => {
    const err = new AppError('RATE_LIMITED', 429, 'Slow down', { to: '+628123' }, { 'Retry-After': '30' })
    assert.ok(err instanceof Error)
    assert.ok(err instanceof AppError)
    assert.equal(err.name, 'AppError')
    assert.equal(err.code, 'RATE_LIMITED')
    assert.equal(err.status, 429)
    assert.equal(err.message, 'Slow down')
    assert.deepEqual(err.details, { to: '+628123' })
    assert.deepEqual(err.headers, { 'Retry-After': '30' })
    assert.ok(err.stack?.includes('AppError'))
  })

  it('appError takes the status from the catalog', () => {
    for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) {
      assert.equal(appError(code).status, EXPECTED_STATUS[code], code)
    }
  })

  it('appError defaults the message to the description and keeps details and headers', () => {
    const fallback = appError('SESSION_NOT_FOUND')
    assert.equal(fallback.message, ERROR_CODES.SESSION_NOT_FOUND.description)
    assert.equal(fallback.details, undefined)
    assert.equal(fallback.headers, undefined)

    const err = appError('UNAUTHORIZED', 'Token missing', { reason: 'no header' }, { 'WWW-Authenticate': 'Bearer' })
    assert.equal(err.message, 'Token missing')
    assert.deepEqual(err.details, { reason: 'no header' })
    assert.deepEqual(err.headers, { 'WWW-Authenticate': 'Bearer' })
  })
})

describe('envelopes', () => {
  it('ok() builds the success envelope', () => {
    assert.deepEqual(ok('OTP sent', { otpId: 'otp_1' }), {
      success: true,
      message: 'OTP sent',
      data: { otpId: 'otp_1' }
    })
  })

  it('errorEnvelope() builds the error envelope with details and request id', () => {
    assert.deepEqual(errorEnvelope('VALIDATION_ERROR', 'Invalid request', { to: 'Required' }, 'req_1'), {
      success: false,
      message: 'Invalid request',
      error: { code: 'VALIDATION_ERROR', details: { to: 'Required' }, requestId: 'req_1' }
    })
  })

  it('errorEnvelope() leaves out absent details and request id', () => {
    const body = JSON.parse(JSON.stringify(errorEnvelope('SESSION_NOT_CONNECTED', 'Session is not connected')))
    assert.deepEqual(body, {
      success: false,
      message: 'Session is not connected',
      error: { code: 'SESSION_NOT_CONNECTED' }
    })
    assert.deepEqual(Object.keys(errorEnvelope('NOT_FOUND', 'x').error), ['code'])
  })
})
