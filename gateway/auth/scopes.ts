import { appError, type AppError } from '../../shared/errors.ts'
import { SESSION_ID_PATTERN } from '../../shared/ids.ts'
import { invalidToken } from './auth-errors.ts'

export const SCOPES = ['sessions:read', 'sessions:write', 'messages:send', 'otp:send', 'otp:verify', 'admin'] as const

export type Scope = (typeof SCOPES)[number]

/** What a verified token grants. `sessions` undefined means every session. */
export type Principal = {
  subject?: string
  scopes: ReadonlySet<Scope>
  sessions?: readonly string[]
  tokenId?: string
  /** When the token stops being valid (ms), from its `exp`; a stream it opened ends then. */
  expiresAt?: number
}

const knownScopes: ReadonlySet<string> = new Set(SCOPES)

function isScope(value: unknown): value is Scope {
  return typeof value === 'string' && knownScopes.has(value)
}

/** Reads a `scope` claim: a space-separated string or an array. Unknown scopes are ignored. */
export function parseScopes(claim: unknown): Set<Scope> {
  const items: unknown[] = typeof claim === 'string' ? claim.split(/\s+/) : Array.isArray(claim) ? claim : []
  return new Set(items.filter(isScope))
}

/**
 * Reads a `sessions` claim. Absent means every session. Anything that is not a list of valid
 * session IDs makes the whole token invalid: guessing what a malformed restriction meant could
 * only widen it.
 */
export function parseSessionsClaim(claim: unknown): string[] | undefined {
  if (claim === undefined) return undefined
  if (!Array.isArray(claim) || !claim.every((id): id is string => typeof id === 'string' && SESSION_ID_PATTERN.test(id))) {
    throw invalidToken('The token has an invalid sessions claim.')
  }
  return [...new Set(claim)]
}

export function hasScope(principal: Principal, scope: Scope): boolean {
  return principal.scopes.has(scope) || principal.scopes.has('admin')
}

// RFC 6750 §3.1: the challenge names the scope the request needed.
function insufficientScope(scope: Scope): AppError {
  return appError(
    'INSUFFICIENT_SCOPE',
    undefined,
    { required: scope },
    {
      'WWW-Authenticate': `Bearer error="insufficient_scope", scope="${scope}"`
    }
  )
}

export function requireScope(principal: Principal, scope: Scope): void {
  if (hasScope(principal, scope)) return
  throw insufficientScope(scope)
}

// The sessions claim narrows even an admin token: an explicit restriction is never overridden.
export function canUseSession(principal: Principal, sessionId: string): boolean {
  return principal.sessions === undefined || principal.sessions.includes(sessionId)
}

// The refusal names no session: a session found through another resource (an OTP by its id) is
// one the caller did not name, and must not learn.
export function requireSession(principal: Principal, sessionId: string): void {
  if (canUseSession(principal, sessionId)) return
  throw appError('SESSION_FORBIDDEN')
}

export function filterSessions<T extends string>(principal: Principal, ids: readonly T[]): T[] {
  return ids.filter(id => canUseSession(principal, id))
}
