import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { Readable } from 'node:stream'
import type { ReadableStream as NodeWebStream } from 'node:stream/web'

/**
 * The host client's `streamFetch` on Node, for uploads: Node's fetch holds a streamed request body
 * in memory until it is sent (nodejs/undici#4058), so a 50 MB upload would cost 50 MB here.
 * node:http pipes it with backpressure instead.
 */
export const nodeStreamFetch = ((input: URL, init: RequestInit) =>
  new Promise<Response>((resolve, reject) => {
    const send = input.protocol === 'https:' ? httpsRequest : httpRequest
    const outgoing = send(input, { method: init.method ?? 'POST', headers: init.headers as Record<string, string> }, incoming => {
      resolve(
        new Response(Readable.toWeb(incoming) as ReadableStream, { status: incoming.statusCode ?? 502, headers: incoming.headers as Record<string, string> })
      )
    })
    outgoing.on('error', reject)
    const body = init.body as ReadableStream<Uint8Array>
    Readable.fromWeb(body as NodeWebStream<Uint8Array>)
      .on('error', error => outgoing.destroy(error))
      .pipe(outgoing)
  })) as typeof fetch
