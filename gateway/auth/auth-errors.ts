import { appError, type AppError } from '../../shared/errors.ts'

// The RFC 6750 challenges of a missing, invalid or expired token (scopes.ts makes the
// insufficient_scope one): clients read `error` to tell a bad token from a missing permission.

export function missingToken(): AppError {
  return appError('UNAUTHORIZED', undefined, undefined, { 'WWW-Authenticate': 'Bearer' })
}

export function invalidToken(message?: string): AppError {
  return appError('UNAUTHORIZED', message, undefined, { 'WWW-Authenticate': 'Bearer error="invalid_token"' })
}

export function tokenExpired(): AppError {
  return appError('TOKEN_EXPIRED', undefined, undefined, { 'WWW-Authenticate': 'Bearer error="invalid_token"' })
}
