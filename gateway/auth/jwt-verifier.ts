import { createRemoteJWKSet, customFetch, errors, jwtVerify, type FetchImplementation, type JWTPayload, type JWTVerifyOptions } from 'jose'
import { invalidToken, tokenExpired } from './auth-errors.ts'
import { hs256Key } from './hs256-key.ts'
import { parseScopes, parseSessionsClaim, type Principal } from './scopes.ts'
import { createVerifiedTokenCache, type VerifiedTokenCacheOptions } from './verified-tokens.ts'

export type JwtVerifierConfig = {
  secret?: string
  jwksUrl?: string
  issuer?: string
  audience?: string
  /** Only with `jwksUrl`; a secret always means HS256. */
  algorithms?: string[]
  clockToleranceSec?: number
  /** Replaces `fetch` for the JWKS download (tests, Workers service bindings). */
  fetchJwks?: FetchImplementation
  /** The verification clock; defaults to the system time. */
  now?: () => Date
  /** How verified tokens are remembered (see verified-tokens.ts); `false` checks every token every time. */
  cache?: VerifiedTokenCacheOptions | false
}

export type JwtVerifier = {
  verify(token: string): Promise<Principal>
}

export const DEFAULT_JWKS_ALGORITHMS: readonly string[] = ['RS256', 'ES256', 'EdDSA']

// Asymmetric algorithms only: HS* with a JWKS would trust any `oct` key in a document anyone can
// read, so anyone could sign tokens.
const JWKS_ALGORITHMS: ReadonlySet<string> = new Set(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'])

// Failures of the key source rather than of the token: the caller's token may be fine, so these
// surface as server errors instead of telling the client to discard its token.
const KEY_SOURCE_FAILURES: ReadonlySet<string> = new Set([errors.JOSEError.code, errors.JWKSTimeout.code, errors.JWKSInvalid.code])

type VerifyJwt = (token: string, options: JWTVerifyOptions) => Promise<{ payload: JWTPayload }>
type KeyResolution = { verifyJwt: VerifyJwt; algorithms: string[] }

export function createJwtVerifier(config: JwtVerifierConfig): JwtVerifier {
  const { verifyJwt, algorithms } = resolveKey(config)
  const options: JWTVerifyOptions = { algorithms, requiredClaims: ['exp'] }
  if (config.issuer !== undefined) options.issuer = config.issuer
  if (config.audience !== undefined) options.audience = config.audience
  if (config.clockToleranceSec !== undefined) options.clockTolerance = config.clockToleranceSec
  const now = config.now
  const verified = config.cache === false ? undefined : createVerifiedTokenCache({ ...config.cache, ...(now ? { now: () => now().getTime() } : {}) })

  return {
    async verify(token) {
      const known = verified?.get(token)
      if (known) return known
      let payload: JWTPayload
      try {
        ;({ payload } = await verifyJwt(token, now ? { ...options, currentDate: now() } : options))
      } catch (error) {
        throw toAuthError(error)
      }
      const principal = toPrincipal(payload)
      verified?.set(token, principal)
      return principal
    }
  }
}

function resolveKey(config: JwtVerifierConfig): KeyResolution {
  const { secret, jwksUrl } = config
  if (Boolean(secret) === Boolean(jwksUrl)) {
    throw new TypeError('Configure exactly one of a JWT secret or a JWKS URL')
  }
  return secret ? secretKey(secret, config.algorithms) : remoteKeySet(jwksUrl ?? '', config)
}

function secretKey(secret: string, algorithms: string[] | undefined): KeyResolution {
  if (algorithms?.some(alg => alg !== 'HS256')) {
    throw new TypeError('A JWT secret only supports HS256')
  }
  // Imported once: jose would otherwise import the raw secret again for every token.
  const key = crypto.subtle.importKey('raw', hs256Key(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify'])
  return { verifyJwt: async (token, options) => jwtVerify(token, await key, options), algorithms: ['HS256'] }
}

function remoteKeySet(jwksUrl: string, config: JwtVerifierConfig): KeyResolution {
  const url = parseJwksUrl(jwksUrl)
  const algorithms = config.algorithms ?? DEFAULT_JWKS_ALGORITHMS
  if (algorithms.length === 0) throw new TypeError('The JWKS algorithm allow-list must not be empty')
  const refused = algorithms.filter(alg => !JWKS_ALGORITHMS.has(alg))
  if (refused.length > 0) {
    throw new TypeError(`Algorithms not allowed with a JWKS: ${refused.join(', ')}`)
  }
  const jwks = config.fetchJwks ? createRemoteJWKSet(url, { [customFetch]: config.fetchJwks }) : createRemoteJWKSet(url)
  return { verifyJwt: (token, options) => jwtVerify(token, jwks, options), algorithms: [...algorithms] }
}

// Keys fetched over plain HTTP could be swapped in transit, so only loopback may skip TLS.
function parseJwksUrl(value: string): URL {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new TypeError('The JWKS URL is not a valid URL')
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new TypeError('The JWKS URL must use https')
  }
  return url
}

function toAuthError(error: unknown): Error {
  if (!(error instanceof errors.JOSEError)) {
    return new Error('Verifying the bearer token failed unexpectedly', { cause: error })
  }
  if (KEY_SOURCE_FAILURES.has(error.code)) {
    return new Error('The JWKS could not be loaded', { cause: error })
  }
  if (error.code === errors.JWTExpired.code) return tokenExpired()
  return invalidToken()
}

function toPrincipal(payload: JWTPayload): Principal {
  const principal: Principal = {
    scopes: parseScopes(payload.scope)
  }
  const sessions = parseSessionsClaim(payload.sessions)
  if (sessions !== undefined) principal.sessions = sessions
  if (typeof payload.sub === 'string') principal.subject = payload.sub
  if (typeof payload.jti === 'string') principal.tokenId = payload.jti
  if (typeof payload.exp === 'number') principal.expiresAt = payload.exp * 1000
  return principal
}
