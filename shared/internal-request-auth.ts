import type { MiddlewareHandler } from 'hono'
import { createNonceCache, isUnsignedStream, verifyStreamRequest } from './internal-signing.ts'
import type { SigningCrypto, SigningSecret } from './internal-signing.ts'
import { readSignedBody, refusedSignature } from './signed-body.ts'

export type InternalRequestAuthOptions = {
  secret: SigningSecret
  /** The largest signed body taken (413 beyond), counted before it is held. */
  maxBodyBytes: number
  /** Web Crypto by default; a Node process passes node:crypto (signingCryptoFrom). */
  primitives?: SigningCrypto
  /** The time signatures are checked against; the system clock by default. */
  clock?: () => number
  /** How far a signature's timestamp may be from the clock; 30 s by default. */
  toleranceMs?: number
  /**
   * The upload routes: they take only the streamed variant (signed without a body digest, see
   * internal-signing.ts), whose body is never buffered here; no other route takes it.
   */
  streamPaths?: RegExp
}

/**
 * Both processes' internal routes (gateway → host calls, host → gateway webhook deliveries) trust
 * no network: every request must carry a fresh signature over its method, path, timestamp, nonce
 * and body, made with the shared secret, and each nonce is taken once. The signature is checked
 * before the body is read, the body only up to its cap; the bytes are left in Hono's body cache
 * for the route. A refusal is 401 INTERNAL_AUTH_FAILED with its reason.
 */
export const internalRequestAuth = ({ secret, maxBodyBytes, primitives, clock, toleranceMs, streamPaths }: InternalRequestAuthOptions): MiddlewareHandler => {
  const seenNonce = createNonceCache()
  return async (c, next) => {
    const url = new URL(c.req.url)
    const checks = { secret, seenNonce, primitives, toleranceMs, now: clock?.() }
    const streamRoute = streamPaths?.test(url.pathname) ?? false
    if (streamRoute || isUnsignedStream(c.req.raw.headers)) {
      const contentType = c.req.header('content-type') ?? ''
      const result =
        streamRoute && c.req.method === 'POST' && /^multipart\/form-data/i.test(contentType)
          ? await verifyStreamRequest({
              ...checks,
              method: c.req.method,
              pathWithQuery: `${url.pathname}${url.search}`,
              contentType,
              headers: c.req.raw.headers
            })
          : ({ ok: false, reason: 'missing' } as const)
      if (!result.ok) throw refusedSignature(result.reason)
      await next()
      return
    }
    const body = await readSignedBody(c.req.raw, { ...checks, maxBytes: maxBodyBytes })
    // Hono keeps the promise of each body form read so far there (its types name the value).
    c.req.bodyCache.arrayBuffer = Promise.resolve(body.buffer) as unknown as ArrayBuffer
    await next()
  }
}
