import { AppError, appError, errorEnvelope } from './errors.ts'
import type { ErrorEnvelope } from './errors.ts'

export type ErrorResponse = { status: number; headers: Record<string, string>; body: ErrorEnvelope; unexpected: boolean }

type ZodLikeIssue = { path: PropertyKey[]; message: string; code?: string }

const isZodError = (error: unknown): error is { issues: ZodLikeIssue[] } =>
  typeof error === 'object' && error !== null && (error as { name?: string }).name === 'ZodError' && Array.isArray((error as { issues?: unknown }).issues)

/**
 * Turns anything thrown into the public envelope. Known errors keep their code, details and
 * headers (Retry-After, WWW-Authenticate); validation failures list each field; anything else is
 * a 500 whose message never reaches the caller.
 */
export const toErrorResponse = (error: unknown, requestId?: string): ErrorResponse => {
  const known =
    error instanceof AppError
      ? error
      : isZodError(error)
        ? appError('VALIDATION_ERROR', 'Request validation failed', {
            fields: error.issues.map(issue => ({ path: issue.path.map(String).join('.'), message: issue.message }))
          })
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
