import type { MiddlewareHandler } from 'hono'
import { appError } from '../shared/errors.ts'
import { createNonceCache, verifyRequest } from '../shared/internal-signing.ts'
import type { SigningSecret } from '../shared/internal-signing.ts'
import { nodeSigningCrypto } from './node-signing-crypto.ts'

/**
 * The host trusts no network: every internal request must carry a fresh signature over its
 * method, path, timestamp, nonce and body, made with the secret it shares with the gateway.
 */
export const internalAuth = (secret: SigningSecret, toleranceMs = 30_000): MiddlewareHandler => {
  const seenNonce = createNonceCache()
  return async (c, next) => {
    const url = new URL(c.req.url)
    const body = new Uint8Array(await c.req.arrayBuffer())
    const result = await verifyRequest({
      secret,
      method: c.req.method,
      pathWithQuery: `${url.pathname}${url.search}`,
      body,
      headers: c.req.raw.headers,
      toleranceMs,
      seenNonce,
      primitives: nodeSigningCrypto
    })
    if (!result.ok) throw appError('INTERNAL_AUTH_FAILED', 'Internal request signature refused', { reason: result.reason })
    await next()
  }
}
