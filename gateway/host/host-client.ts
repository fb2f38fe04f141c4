import type { z } from 'zod'
import { AppError, appError } from '../../shared/errors.ts'
import type { ErrorCode, ErrorEnvelope, SuccessEnvelope } from '../../shared/errors.ts'
import type { HostRoute, RouteParams } from '../../shared/host-api/host-route.ts'
import { signRequest, signStreamRequest } from '../../shared/internal-signing.ts'
import type { SigningCrypto, SigningSecret } from '../../shared/internal-signing.ts'

const passesThrough = (code: string, status: number): boolean => code !== 'INTERNAL_AUTH_FAILED' && (status < 500 || code === 'SESSION_NOT_CONNECTED')

/** A route's body as its contract types it; routes without a body schema take any JSON or none. */
type BodyOf<Body extends z.ZodType | undefined> = Body extends z.ZodType ? [body: z.input<Body>] : [body?: unknown]

export type HostClient = {
  /** Calls one internal route (shared/host-api): the path from its parameters, the answer typed by its schema. */
  call<Pattern extends string, Body extends z.ZodType | undefined, Answer extends z.ZodType>(
    route: HostRoute<Pattern, Body, Answer>,
    params: RouteParams<Pattern>,
    ...body: BodyOf<Body>
  ): Promise<z.infer<Answer>>
  /** Passes a request body through as a stream (uploads), signed without a body digest. */
  stream<Pattern extends string, Answer extends z.ZodType>(
    route: HostRoute<Pattern, undefined, Answer>,
    params: RouteParams<Pattern>,
    body: StreamBody
  ): Promise<z.infer<Answer>>
}

export type StreamBody = { stream: ReadableStream<Uint8Array>; contentType: string; contentLength: number | undefined }

/**
 * The one place that talks to the session host: each request is signed with the shared secret;
 * the host's error envelopes come back as the same AppError (with its Retry-After), and an
 * unreachable host is a 502. Answers are typed by the route's schema, not parsed again: the host
 * built them from the same definition.
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
  async stream(route, params, { stream, contentType, contentLength }) {
    const path = route.path(params)
    const headers = await signStreamRequest({ secret, method: 'POST', pathWithQuery: path, contentType, contentLength })
    const response = await reach(() =>
      (streamFetch ?? doFetch)(new URL(path, baseUrl), {
        method: 'POST',
        headers: { ...headers, 'content-type': contentType },
        body: stream,
        duplex: 'half'
      } as RequestInit)
    )
    return readEnvelope(response)
  },
  async call(route, params, ...[body]) {
    const path = route.path(params)
    const text = body === undefined ? undefined : JSON.stringify(body)
    const headers = await signRequest({ secret, method: route.method, pathWithQuery: path, body: text, ...(primitives ? { primitives } : {}) })
    const response = await reach(() =>
      doFetch(new URL(path, baseUrl), {
        method: route.method,
        headers: { ...headers, ...(text === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(text === undefined ? {} : { body: text })
      })
    )
    return readEnvelope(response)
  }
})

const reach = async (send: () => Promise<Response>): Promise<Response> => {
  try {
    return await send()
  } catch {
    throw appError('HOST_UNAVAILABLE', 'The session host is not reachable')
  }
}

/** The host's envelope: its data, its error as the same AppError, or a 502 for anything else. */
const readEnvelope = async <T>(response: Response): Promise<T> => {
  const envelope = (await response.json().catch(() => undefined)) as SuccessEnvelope<T> | ErrorEnvelope | undefined
  if (envelope?.success === true) return envelope.data
  if (envelope?.success === false && passesThrough(envelope.error.code, response.status)) {
    const retryAfter = response.headers.get('retry-after')
    throw new AppError(
      envelope.error.code as ErrorCode,
      response.status,
      envelope.message,
      envelope.error.details,
      retryAfter ? { 'Retry-After': retryAfter } : undefined
    )
  }
  // A refused signature is our misconfiguration, and a host 500 is not the caller's business.
  throw appError('HOST_UNAVAILABLE', 'The session host could not handle the request')
}
