import { createMiddleware } from 'hono/factory'
import { missingToken } from './auth-errors.ts'
import type { JwtVerifier } from './jwt-verifier.ts'
import type { Principal } from './scopes.ts'

export type AuthVariables = { principal: Principal }

// RFC 6750 §2.1: the scheme is case-insensitive and the token is a b64token.
const BEARER = /^Bearer +([A-Za-z0-9._~+/-]+=*)$/i

/** The token of an `Authorization: Bearer …` header, or undefined. */
export const bearerToken = (header: string | undefined): string | undefined => BEARER.exec(header ?? '')?.[1]

/** Requires a valid bearer token and exposes what it grants as `c.get('principal')`. */
export function bearerAuth(verifier: JwtVerifier) {
  return createMiddleware<{ Variables: AuthVariables }>(async (c, next) => {
    const token = bearerToken(c.req.header('Authorization'))
    if (token === undefined) throw missingToken()
    c.set('principal', await verifier.verify(token))
    await next()
  })
}
