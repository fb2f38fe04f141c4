import { AppError, appError } from '../shared/errors.ts'
import type { ErrorCode, ErrorEnvelope, SuccessEnvelope } from '../shared/errors.ts'
import { signRequest } from '../shared/internal-signing.ts'
import type { SigningCrypto, SigningSecret } from '../shared/internal-signing.ts'

const passesThrough = (code: string, status: number): boolean =>
  code !== 'INTERNAL_AUTH_FAILED' && (status < 500 || code === 'SESSION_NOT_CONNECTED')

export type HostClient = {
  call<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T>
}

/**
 * The one place that talks to the session host: each request is signed with the shared secret;
 * the host's error envelopes come back as the same AppError, and an unreachable host is a 502.
 */
export const createHostClient = ({
  baseUrl,
  secret,
  fetch: doFetch = fetch,
  primitives
}: {
  baseUrl: string
  secret: SigningSecret
  fetch?: typeof fetch
  /** Web Crypto by default; the Node entry passes node:crypto. */
  primitives?: SigningCrypto
}): HostClient => ({
  async call<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
    const text = body === undefined ? undefined : JSON.stringify(body)
    const headers = await signRequest({ secret, method, pathWithQuery: path, body: text, ...(primitives ? { primitives } : {}) })
    let response: Response
    try {
      response = await doFetch(new URL(path, baseUrl), {
        method,
        headers: { ...headers, ...(text === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(text === undefined ? {} : { body: text })
      })
    } catch {
      throw appError('HOST_UNAVAILABLE', 'The session host is not reachable')
    }
    const envelope = (await response.json().catch(() => undefined)) as SuccessEnvelope<T> | ErrorEnvelope | undefined
    if (envelope?.success === true) return envelope.data
    if (envelope?.success === false && passesThrough(envelope.error.code, response.status)) {
      const retryAfter = response.headers.get('retry-after')
      throw new AppError(envelope.error.code as ErrorCode, response.status, envelope.message, envelope.error.details, retryAfter ? { 'Retry-After': retryAfter } : undefined)
    }
    // A refused signature is our misconfiguration, and a host 500 is not the caller's business.
    throw appError('HOST_UNAVAILABLE', 'The session host could not handle the request')
  }
})
