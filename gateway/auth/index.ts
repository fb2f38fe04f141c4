export { createJwtVerifier, type JwtVerifier, type JwtVerifierConfig } from './jwt-verifier.ts'
export { bearerAuth, type AuthVariables } from './middleware.ts'
export {
  SCOPES,
  canUseSession,
  filterSessions,
  hasScope,
  requireScope,
  requireSession,
  type Principal,
  type Scope
} from './scopes.ts'
