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
  /**
   * A signed GET of `path` to every host at once, for its text (the metrics), in HOST_URL's order;
   * `text` is undefined from a host that did not answer 200 within `timeoutMs`.
   */
  eachHost(path: string, timeoutMs?: number): Promise<{ url: string; text: string | undefined }[]>
}

export type StreamBody = { stream: ReadableStream<Uint8Array>; contentType: string; contentLength: number | undefined }

/** Why a request never got an answer: refused before it was sent (safe to send elsewhere), or lost on the way. */
class Unreached extends Error {
  constructor(readonly refused: boolean) {
    super('The session host is not reachable')
  }
}

/**
 * Node names a refused connection: undici's request on the error, its fetch on the cause. Other
 * runtimes do not, and get no blind resend.
 */
const wasRefused = (error: unknown): boolean => {
  const failure = error as { code?: unknown; cause?: { code?: unknown } } | undefined
  return failure?.code === 'ECONNREFUSED' || failure?.cause?.code === 'ECONNREFUSED'
}

/** How long a host that did not answer is tried after the others. */
const UNANSWERED_BACKOFF_MS = 5_000

const reach = async (send: () => Promise<Response>): Promise<Response> => {
  try {
    return await send()
  } catch (error) {
    throw new Unreached(wasRefused(error))
  }
}

/**
 * The one place that talks to the session hosts: each request is signed with the shared secret;
 * the host's error envelopes come back as the same AppError (with its Retry-After), and an
 * unreachable host is a 502. Answers are typed by the route's schema, not parsed again: the host
 * built them from the same definition.
 *
 * With several hosts (HOST_URL lists them), a request about a session goes to the host last seen
 * running it; one that no longer runs it answers SESSION_MOVED with the host that does, and the
 * request is sent there once (and remembered). A host that refuses the connection (it is down) is
 * skipped for the next one. Other requests go round the hosts: they share one database.
 */
export const createHostClient = ({
  hosts,
  secret,
  fetch: doFetch = fetch,
  streamFetch,
  primitives
}: {
  hosts: readonly string[]
  secret: SigningSecret
  fetch?: typeof fetch
  /** Sends stream bodies; Node's fetch holds a whole request body in memory, so node.ts passes one built on node:http. */
  streamFetch?: typeof fetch
  /** Web Crypto by default; the Node entry passes node:crypto. */
  primitives?: SigningCrypto
}): HostClient => {
  const normalize = (url: string) => url.replace(/\/+$/, '')
  hosts = hosts.map(normalize)
  if (hosts.length === 0) throw new Error('createHostClient: no host URL')
  const owners = new Map<string, string>()
  /** Hosts that did not answer lately, until when: tried last, so one stalled host does not slow every request. */
  const unanswered = new Map<string, number>()
  let turn = 0
  /** Where to try, in order: the session's last known host first, then the others in turn; hosts that just failed last. */
  const candidates = (sessionId: string | undefined): string[] => {
    const start = turn++ % hosts.length
    const rotation = [...hosts.slice(start), ...hosts.slice(0, start)]
    const owner = sessionId ? owners.get(sessionId) : undefined
    const order = owner ? [owner, ...rotation.filter(url => url !== owner)] : rotation
    const now = Date.now()
    const failing = (url: string) => (unanswered.get(url) ?? 0) > now
    return [...order.filter(url => !failing(url)), ...order.filter(failing)]
  }
  const sessionOf = (params: unknown): string | undefined => {
    const sessionId = (params as { sessionId?: unknown } | undefined)?.sessionId
    return typeof sessionId === 'string' ? sessionId : undefined
  }

  /** Sends to each candidate until one answers; at most one hop on SESSION_MOVED and one past a refused connection. */
  const route = async <T>(sessionId: string | undefined, resendable: boolean, send: (baseUrl: string) => Promise<Response>): Promise<T> => {
    const order = candidates(sessionId)
    let skipped = false
    let moved = false
    for (let index = 0; index < order.length; index++) {
      const baseUrl = order[index]!
      let response: Response
      try {
        response = await reach(() => send(baseUrl))
      } catch (error) {
        unanswered.set(baseUrl, Date.now() + UNANSWERED_BACKOFF_MS)
        if (sessionId && owners.get(sessionId) === baseUrl) owners.delete(sessionId)
        if (error instanceof Unreached && (error.refused || resendable) && !skipped && index + 1 < order.length) {
          skipped = true
          continue
        }
        throw appError('HOST_UNAVAILABLE', 'The session host is not reachable')
      }
      unanswered.delete(baseUrl)
      const envelope = await readJson<T>(response)
      if (envelope?.success === false && envelope.error.code === 'SESSION_MOVED' && sessionId && !moved) {
        const said = envelope.error.details?.hostUrl
        const hostUrl = typeof said === 'string' ? normalize(said) : undefined
        // Only to a host of HOST_URL: a signed request never goes where the configuration did not say.
        if (hostUrl && hosts.includes(hostUrl) && hostUrl !== baseUrl) {
          moved = true
          owners.set(sessionId, hostUrl)
          order.splice(index + 1, 0, hostUrl)
          continue
        }
      }
      return fromEnvelope(envelope, response)
    }
    throw appError('HOST_UNAVAILABLE', 'No session host could handle the request')
  }

  return {
    eachHost: (path, timeoutMs = 5_000) =>
      Promise.all(
        hosts.map(async url => {
          try {
            const headers = await signRequest({ secret, method: 'GET', pathWithQuery: path, body: undefined, ...(primitives ? { primitives } : {}) })
            const response = await doFetch(new URL(path, url), { headers, signal: AbortSignal.timeout(timeoutMs) })
            return { url, text: response.ok ? await response.text() : undefined }
          } catch {
            return { url, text: undefined }
          }
        })
      ),
    async stream(route_, params, { stream, contentType, contentLength }) {
      const path = route_.path(params)
      const headers = await signStreamRequest({ secret, method: 'POST', pathWithQuery: path, contentType, contentLength })
      // A stream is read once: sent to the session's host as known now, never resent.
      const [baseUrl] = candidates(sessionOf(params))
      const response = await reach(() =>
        (streamFetch ?? doFetch)(new URL(path, baseUrl), {
          method: 'POST',
          headers: { ...headers, 'content-type': contentType },
          body: stream,
          duplex: 'half'
        } as RequestInit)
      ).catch(() => {
        throw appError('HOST_UNAVAILABLE', 'The session host is not reachable')
      })
      return fromEnvelope(await readJson(response), response)
    },
    async call(route_, params, ...[body]) {
      const path = route_.path(params)
      const text = body === undefined ? undefined : JSON.stringify(body)
      return route(sessionOf(params), route_.method === 'GET', async baseUrl => {
        // Signed per attempt: a signature is good for one request (replays are refused).
        const headers = await signRequest({ secret, method: route_.method, pathWithQuery: path, body: text, ...(primitives ? { primitives } : {}) })
        return doFetch(new URL(path, baseUrl), {
          method: route_.method,
          headers: { ...headers, ...(text === undefined ? {} : { 'content-type': 'application/json' }) },
          ...(text === undefined ? {} : { body: text })
        })
      })
    }
  }
}

type Envelope<T> = SuccessEnvelope<T> | ErrorEnvelope | undefined

const readJson = async <T>(response: Response): Promise<Envelope<T>> => (await response.json().catch(() => undefined)) as Envelope<T>

/** The host's envelope: its data, its error as the same AppError, or a 502 for anything else. */
const fromEnvelope = <T>(envelope: Envelope<T>, response: Response): T => {
  if (envelope?.success === true) return envelope.data
  if (envelope?.success === false && passesThrough(envelope.error.code, response.status)) {
    const retryAfter = response.headers.get('retry-after')
    // Where a host lives is the operator's business, not the caller's.
    const { hostUrl: _hostUrl, ...details } = envelope.error.details ?? {}
    throw new AppError(
      envelope.error.code as ErrorCode,
      response.status,
      envelope.message,
      envelope.error.details ? details : undefined,
      retryAfter ? { 'Retry-After': retryAfter } : undefined
    )
  }
  // A refused signature is our misconfiguration, and a host 500 is not the caller's business.
  throw appError('HOST_UNAVAILABLE', 'The session host could not handle the request')
}
