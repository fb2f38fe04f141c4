import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import type { MiddlewareHandler } from 'hono'
import { internalRequestAuth } from '../shared/internal-request-auth.ts'
import type { SigningSecret } from '../shared/internal-signing.ts'
import { signingCryptoFrom } from '../shared/signing-crypto-from.ts'

const nodeSigningCrypto = signingCryptoFrom({ createHash, createHmac, timingSafeEqual })

/** The largest JSON body the gateway sends (its own public cap is 64 KB). */
const MAX_BODY_BYTES = 1024 * 1024

/**
 * The host trusts no network: every internal request must carry a fresh signature made with the
 * secret it shares with the gateway (shared/internal-request-auth.ts), checked on node:crypto.
 * Only `streamPaths` (the upload routes) take streamed bodies.
 */
export const internalAuth = (secret: SigningSecret, toleranceMs = 30_000, streamPaths?: RegExp): MiddlewareHandler =>
  internalRequestAuth({ secret, toleranceMs, maxBodyBytes: MAX_BODY_BYTES, primitives: nodeSigningCrypto, ...(streamPaths ? { streamPaths } : {}) })
