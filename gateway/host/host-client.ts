import { AppError, appError } from '../../shared/errors.ts'
import type { ErrorCode, ErrorEnvelope, SuccessEnvelope } from '../../shared/errors.ts'
import { signRequest, signStreamRequest } from '../../shared/internal-signing.ts'
import type { SigningCrypto, SigningSecret } from '../../shared/internal-signing.ts'

const passesThrough = (code: string, status: number): boolean =>
  code !== 'INTERNAL_AUTH_FAILED' && (status < 500 || code === 'SESSION_NOT_CONNECTED')

export type HostClient = {
  call<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T>
  /** Passes a request body through as a stream (uploads), signed without a body digest. */
  stream<T>(path: string, body: StreamBody): Promise<T>
}

export type StreamBody = { stream: ReadableStream<Uint8Array>; contentType: string; contentLength: number | undefined }

/**
 * The one place that talks to the session host: each request is signed with the shared secret;
 * the host's error envelopes come back as the same AppError, and an unreachable host is a 502.
 */
export const createHostClient = ({
  baseUrl,
  secret,
  fetch: doFetch = fetch,
  streamFetch,
  primitives
}: {
  baseUrl: string
  secret: SigningSecret
  fetch?: typeof fetch
  /** Sends stream bodies; Node's fetch holds a whole request body in memory, so node.ts passes one built on node:http. */
  streamFetch?: typeof fetch
  /** Web Crypto by default; the Node entry passes node:crypto. */
  primitives?: SigningCrypto
}): HostClient => ({
  async stream<T>(path: string, { stream, contentType, contentLength }: StreamBody): Promise<T> {
    const headers = await signStreamRequest({ secret, method: 'POST', pathWithQuery: path, contentType, contentLength })
    let response: Response
    try {
      response = await (streamFetch ?? doFetch)(new URL(path, baseUrl), {
        method: 'POST',
        headers: { ...headers, 'content-type': contentType },
        body: stream,
        duplex: 'half'
      } as RequestInit)
    } catch {
      throw appError('HOST_UNAVAILABLE', 'The session host is not reachable')
    }
    return readEnvelope<T>(response)
  },
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

/** The host's answer to a streamed upload, read the way `call` reads it. */
const readEnvelope = async <T>(response: Response): Promise<T> => {
  const envelope = (await response.json().catch(() => undefined)) as SuccessEnvelope<T> | ErrorEnvelope | undefined
  if (envelope?.success === true) return envelope.data
  if (envelope?.success === false && passesThrough(envelope.error.code, response.status)) {
    throw new AppError(envelope.error.code as ErrorCode, response.status, envelope.message, envelope.error.details)
  }
  throw appError('HOST_UNAVAILABLE', 'The session host could not handle the request')
}
