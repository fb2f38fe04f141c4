import { Agent, request } from 'undici'

/**
 * A `fetch` for the host client on Node: the gateway's small JSON calls go through undici's
 * `request` on a keep-alive agent, which costs a fraction of the global fetch (no Request object,
 * abort signal, body stream or tee per call). Anything else (a stream or form body, Headers
 * objects, a Request as input) goes to the global fetch unchanged.
 */
/**
 * How long a host may take to answer. A host that is stalled (paused, swapping) accepts the
 * connection and says nothing: without a limit the gateway would wait with it. The slowest
 * answer a healthy host gives is a send waiting up to 5 s for WhatsApp's ack.
 */
const HOST_ANSWER_TIMEOUT_MS = 15_000

export const createNodeHostFetch = (
  agent = new Agent({ keepAliveTimeout: 4_000, connectTimeout: 5_000, headersTimeout: HOST_ANSWER_TIMEOUT_MS, bodyTimeout: HOST_ANSWER_TIMEOUT_MS })
): typeof fetch & { close(): Promise<void> } => {
  const hostFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const body = init?.body
    const headers = init?.headers
    const plainHeaders = headers === undefined || Object.getPrototypeOf(headers) === Object.prototype
    if (input instanceof Request || !(body === undefined || body === null || typeof body === 'string') || !plainHeaders || init?.signal) {
      return fetch(input, init)
    }
    const response = await request(input, {
      method: (init?.method ?? 'GET') as 'GET',
      headers: headers as Record<string, string> | undefined,
      body: body ?? null,
      dispatcher: agent
    })
    const nullBody = response.statusCode === 204 || response.statusCode === 205 || response.statusCode === 304 || init?.method === 'HEAD'
    let content: ArrayBuffer | null = null
    // A body that may not have content is drained, so the connection goes back to the pool.
    if (nullBody) await response.body.dump()
    else content = await response.body.arrayBuffer()
    const pairs: [string, string][] = []
    for (const [name, value] of Object.entries(response.headers)) {
      for (const one of Array.isArray(value) ? value : value === undefined ? [] : [value]) pairs.push([name, one])
    }
    return new Response(content, { status: response.statusCode, headers: pairs })
  }
  return Object.assign(hostFetch as typeof fetch, { close: () => agent.close() })
}
