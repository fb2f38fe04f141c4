import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import type { MiddlewareHandler } from 'hono'
import { appError } from '../shared/errors.ts'
import { createNonceCache, isUnsignedStream, verifyStreamRequest } from '../shared/internal-signing.ts'
import type { SigningSecret } from '../shared/internal-signing.ts'
import { signingCryptoFrom } from '../shared/signing-crypto-from.ts'
import { readSignedBody } from '../shared/signed-body.ts'

const nodeSigningCrypto = signingCryptoFrom({ createHash, createHmac, timingSafeEqual })

/** The largest JSON body the gateway sends (its own public cap is 64 KB). */
const MAX_BODY_BYTES = 1024 * 1024

/**
 * The host trusts no network: every internal request must carry a fresh signature over its
 * method, path, timestamp, nonce and body, made with the secret it shares with the gateway. The
 * signature is checked before the body is read, and the body only up to its cap; the bytes are
 * left in Hono's body cache for the route.
 */
export const internalAuth = (secret: SigningSecret, toleranceMs = 30_000, streamPaths?: RegExp): MiddlewareHandler => {
  const seenNonce = createNonceCache()
  return async (c, next) => {
    const url = new URL(c.req.url)
    // Uploads stream through without a body digest (see shared/internal-signing.ts); only the
    // upload routes take that variant, and they take nothing else, so their body is never buffered.
    const streamRoute = streamPaths?.test(url.pathname) ?? false
    if (streamRoute || isUnsignedStream(c.req.raw.headers)) {
      const contentType = c.req.header('content-type') ?? ''
      const result =
        streamRoute && c.req.method === 'POST' && /^multipart\/form-data/i.test(contentType)
          ? await verifyStreamRequest({ secret, method: c.req.method, pathWithQuery: `${url.pathname}${url.search}`, contentType, headers: c.req.raw.headers, toleranceMs, seenNonce })
          : ({ ok: false, reason: 'missing' } as const)
      if (!result.ok) throw appError('INTERNAL_AUTH_FAILED', 'Internal request signature refused', { reason: result.reason })
      await next()
      return
    }
    const body = await readSignedBody(c.req.raw, { secret, toleranceMs, seenNonce, primitives: nodeSigningCrypto, maxBytes: MAX_BODY_BYTES })
    // Hono keeps the promise of each body form read so far there (its types name the value).
    c.req.bodyCache.arrayBuffer = Promise.resolve(body.buffer) as unknown as ArrayBuffer
    await next()
  }
}
