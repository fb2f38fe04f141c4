import { HTTPException } from 'hono/http-exception'
import { AppError, appError, errorEnvelope } from './errors.ts'
import type { ErrorEnvelope } from './errors.ts'

export type ErrorResponse = { status: number; headers: Record<string, string>; body: ErrorEnvelope; unexpected: boolean }

export type ErrorResponseOptions = {
  /** What a route with a body takes, named in a 415 from the framework's validator. */
  acceptedMediaTypes?: readonly string[]
}

type ZodLikeIssue = { path: PropertyKey[]; message: string; code?: string; errors?: ZodLikeIssue[][] }
type FieldIssue = { path: string; message: string }

/**
 * Each field a validation failure names. A union that matched no option ("Invalid input" at its
 * own path, which names nothing) is told as the option it came closest to: the one with the
 * fewest issues, or each of those that tie, under the union's path.
 */
const fieldIssues = (issues: readonly ZodLikeIssue[], under: readonly PropertyKey[] = []): FieldIssue[] => {
  const fields = issues.flatMap(issue => {
    const path = [...under, ...issue.path]
    const options = issue.code === 'invalid_union' ? (issue.errors ?? []).filter(option => option.length > 0) : []
    if (options.length === 0) return [{ path: path.map(String).join('.'), message: issue.message }]
    const fewest = Math.min(...options.map(option => option.length))
    return options.filter(option => option.length === fewest).flatMap(option => fieldIssues(option, path))
  })
  // Options that tie often fail the same way (the body is not an object): said once.
  return fields.filter((field, i) => fields.findIndex(other => other.path === field.path && other.message === field.message) === i)
}

const isZodError = (error: unknown): error is { issues: ZodLikeIssue[] } =>
  typeof error === 'object' && error !== null && (error as { name?: string }).name === 'ZodError' && Array.isArray((error as { issues?: unknown }).issues)

/**
 * The framework's own HTTP errors (Hono's HTTPException: a validator's 415 for a body of another
 * type, its 400 for malformed JSON) as the catalog's codes with the same status; anything else it
 * throws is a malformed request.
 */
const fromHttpException = (error: HTTPException, options: ErrorResponseOptions): AppError => {
  switch (error.status) {
    case 400:
      return /json/i.test(error.message) ? appError('INVALID_JSON', 'Request body is not valid JSON') : appError('MALFORMED_REQUEST')
    case 401:
      return appError('UNAUTHORIZED')
    case 404:
      return appError('NOT_FOUND')
    case 413:
      return appError('PAYLOAD_TOO_LARGE')
    case 415: {
      const accepted = [...(options.acceptedMediaTypes ?? ['application/json'])]
      return appError('UNSUPPORTED_MEDIA_TYPE', `The request body must be ${accepted.join(' or ')}`, { accepted })
    }
    default:
      return appError('MALFORMED_REQUEST')
  }
}

/**
 * Turns anything thrown into the public envelope. Known errors keep their code, details and
 * headers (Retry-After, WWW-Authenticate); validation failures list each field; the framework's
 * HTTP errors keep their status; anything else is a 500 whose message never reaches the caller.
 */
export const toErrorResponse = (error: unknown, requestId?: string, options: ErrorResponseOptions = {}): ErrorResponse => {
  const known =
    error instanceof AppError
      ? error
      : error instanceof HTTPException
        ? fromHttpException(error, options)
        : isZodError(error)
          ? appError('VALIDATION_ERROR', 'Request validation failed', { fields: fieldIssues(error.issues) })
          : undefined
  if (!known) {
    return {
      status: 500,
      headers: {},
      body: errorEnvelope('INTERNAL_ERROR', 'Internal error', undefined, requestId),
      unexpected: true
    }
  }
  return { status: known.status, headers: known.headers ?? {}, body: errorEnvelope(known.code, known.message, known.details, requestId), unexpected: false }
}
