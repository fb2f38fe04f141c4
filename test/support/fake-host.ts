import { Hono } from 'hono'
import { ERROR_CODES, errorEnvelope } from '../../shared/errors.ts'
import type { ErrorEnvelope, SuccessEnvelope } from '../../shared/errors.ts'
import { createNonceCache, INTERNAL_HEADERS, STREAM_LENGTH_HEADER, UNSIGNED_STREAM, verifyRequest, verifyStreamRequest } from '../../shared/internal-signing.ts'

/**
 * A stand-in for the session host in gateway tests. It sits behind the `fetch` that
 * `createHostClient` takes, so the gateway's host client, its request signing and its reading of
 * the host's envelopes all run as in production; only the host's answers are canned. It works on
 * HTTP (paths and envelopes), not on the HostClient type, so it does not follow that type's changes.
 */

export type HostEnvelope = SuccessEnvelope<unknown> | ErrorEnvelope

/** What a route answers: an envelope, with the status and headers the host would send. */
export type HostAnswer = { status: number; envelope: HostEnvelope; headers?: Record<string, string> }

/** One request the gateway made, as the host would have read it. */
export type HostCall = {
  method: string
  /** The path without its query. */
  path: string
  query: Record<string, string>
  /** The parsed JSON body; undefined for a request without one or a streamed upload. */
  body: unknown
  /** The raw body bytes (a streamed upload arrives here whole). */
  bytes: Uint8Array
  contentType: string | undefined
}

/** A route's answer: from its path parameters and the parsed body. */
export type HostRoute = (params: Record<string, string>, body: unknown, call: HostCall) => HostEnvelope | HostAnswer | Promise<HostEnvelope | HostAnswer>

/** An envelope with an explicit status or headers (a 201, or a 429 with Retry-After). */
export const answer = (envelope: HostEnvelope, { status, headers }: { status?: number; headers?: Record<string, string> } = {}): HostAnswer => ({
  envelope,
  status: status ?? statusOf(envelope),
  ...(headers ? { headers } : {})
})

// The host renders an AppError with the status its code has in the catalog.
const statusOf = (envelope: HostEnvelope): number => (envelope.success ? 200 : ERROR_CODES[envelope.error.code].status)

const isAnswer = (value: HostEnvelope | HostAnswer): value is HostAnswer => 'envelope' in value

const decoder = new TextDecoder()

export type FakeHost = ReturnType<typeof createFakeHost>

export const createFakeHost = ({ secret, onCall }: { secret: string; onCall?: (call: HostCall) => void }) => {
  const routes = new Map<string, HostRoute>()
  const calls: HostCall[] = []
  /** Requests whose signature the host would have refused, with the reason. */
  const refused: { method: string; path: string; reason: string }[] = []
  /** What never happens in a sound gateway test (a refused signature, a request no route answers, a route that threw); the gateway builder throws it. */
  const failures: Error[] = []
  const seenNonce = createNonceCache()
  let reachable = true
  // Rebuilt when routes change: Hono's router cannot take routes once it has matched a request.
  let app: Hono<{ Bindings: { call: HostCall } }> | undefined

  const build = () => {
    const hono = new Hono<{ Bindings: { call: HostCall } }>()
    // Fewer parameters first, so `/internal/otp/latest` wins over `/internal/otp/:otpId` as the host's order makes it.
    const bySpecificity = [...routes].sort(([a], [b]) => a.split(':').length - b.split(':').length)
    for (const [key, route] of bySpecificity) {
      const [method = '', path = ''] = key.split(' ')
      hono.on(method, path, async c => {
        const reply = await route(c.req.param(), c.env.call.body, c.env.call)
        const { envelope, status, headers } = isAnswer(reply) ? reply : answer(reply)
        return c.json(envelope, status as 200, headers)
      })
    }
    hono.notFound(c => {
      failures.push(new Error(`the fake host has no route for ${c.req.method} ${c.req.path}`))
      return c.json(errorEnvelope('INTERNAL_ERROR', 'No fake route'), 500)
    })
    hono.onError((error, c) => {
      failures.push(error)
      return c.json(errorEnvelope('INTERNAL_ERROR', 'The fake route threw'), 500)
    })
    return hono
  }

  /** Checks the signature as the host's internalAuth does, so a gateway that signs wrongly fails here. */
  const verify = async (request: Request, url: URL, bytes: Uint8Array): Promise<string | undefined> => {
    const common = { secret, method: request.method, pathWithQuery: `${url.pathname}${url.search}`, headers: request.headers, seenNonce }
    if (request.headers.get(INTERNAL_HEADERS.contentSha256) === UNSIGNED_STREAM) {
      const result = await verifyStreamRequest({ ...common, contentType: request.headers.get('content-type') ?? '' })
      if (!result.ok) return result.reason
      // The signature covers the declared length; the host checks the bytes against it.
      const signed = request.headers.get(STREAM_LENGTH_HEADER)
      return signed && Number(signed) !== bytes.byteLength ? 'length_mismatch' : undefined
    }
    const result = await verifyRequest({ ...common, body: bytes })
    return result.ok ? undefined : result.reason
  }

  const hostFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    // As fetch fails when nothing listens: the host client must turn this into HOST_UNAVAILABLE.
    if (!reachable) throw new TypeError('fetch failed')
    const request = new Request(input, init)
    const url = new URL(request.url)
    const bytes = new Uint8Array(await request.arrayBuffer())
    const reason = await verify(request, url, bytes)
    if (reason) {
      refused.push({ method: request.method, path: url.pathname, reason })
      failures.push(new Error(`the fake host refused the signature of ${request.method} ${url.pathname}: ${reason}`))
      return Response.json(errorEnvelope('INTERNAL_AUTH_FAILED', 'Internal request signature refused', { reason }), { status: 401 })
    }
    const contentType = request.headers.get('content-type') ?? undefined
    const body = bytes.byteLength && /^application\/json/.test(contentType ?? '') ? JSON.parse(decoder.decode(bytes)) : undefined
    const call: HostCall = { method: request.method, path: url.pathname, query: Object.fromEntries(url.searchParams), body, bytes, contentType }
    calls.push(call)
    onCall?.(call)
    app ??= build()
    return app.fetch(new Request(url, { method: request.method }), { call })
  }

  return {
    /** The fetch to give `createHostClient`. */
    fetch: hostFetch as typeof fetch,
    /** Declares (or replaces) the answer to `METHOD /path/:param`. */
    on(route: `${'GET' | 'POST' | 'PUT' | 'DELETE'} /internal/${string}`, handler: HostRoute) {
      routes.set(route, handler)
      app = undefined
    },
    calls,
    refused,
    /** The calls with this method to this path (or any path the pattern matches), e.g. `POST`, `/internal/sessions/shop-1/otp`. */
    callsTo: (method: string, path: string | RegExp) =>
      calls.filter(c => c.method === method && (typeof path === 'string' ? c.path === path : path.test(c.path))),
    /** Takes the failures recorded so far, so the caller can throw them. */
    takeFailures: () => failures.splice(0),
    /** Makes every later request fail as a refused connection does (or stop failing). */
    setReachable(value: boolean) {
      reachable = value
    }
  }
}
