import { lookup } from 'node:dns/promises'
import { serve } from '@hono/node-server'
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import type { ReadableStream as NodeWebStream } from 'node:stream/web'
import { answerClientError } from '../shared/client-error-response.ts'
import { createLogger, logFormat, parseLogSettings } from '../shared/logger.ts'
import { nodeSigningCrypto } from '../shared/node-signing-crypto.ts'
import { createGateway } from './app.ts'
import { createJwtVerifier } from './auth/jwt-verifier.ts'
import { parseGatewayConfig } from './config.ts'
import { createHostClient } from './host-client.ts'
import { createNodeDocsAssets } from './node-docs-assets.ts'
import { createNodeHostFetch } from './node-host-fetch.ts'
import { createNodeWebhookFetch } from './node-webhook-fetch.ts'

/** Node entry: parses the environment once, serves the app, and stops on SIGTERM/SIGINT. */
const { config, logSettings } = (() => {
  try {
    return { config: parseGatewayConfig(process.env), logSettings: parseLogSettings(process.env) }
  } catch (error) {
    console.error(error instanceof Error ? error.message : error)
    process.exit(1)
  }
})()
const logger = createLogger({ name: 'gateway', level: logSettings.LOG_LEVEL, format: logFormat(logSettings) })
const verifier = createJwtVerifier({
  ...(config.JWT_SECRET ? { secret: config.JWT_SECRET } : { jwksUrl: config.JWT_JWKS_URL }),
  ...(config.JWT_ISSUER ? { issuer: config.JWT_ISSUER } : {}),
  ...(config.JWT_AUDIENCE ? { audience: config.JWT_AUDIENCE } : {})
})
/**
 * Node's fetch holds a streamed request body in memory until it is sent (nodejs/undici#4058):
 * a 50 MB upload would cost 50 MB here. node:http pipes it with backpressure instead.
 */
const streamFetch = ((input: URL, init: RequestInit) =>
  new Promise<Response>((resolve, reject) => {
    const send = input.protocol === 'https:' ? httpsRequest : httpRequest
    const outgoing = send(input, { method: init.method ?? 'POST', headers: init.headers as Record<string, string> }, incoming => {
      resolve(new Response(Readable.toWeb(incoming) as ReadableStream, { status: incoming.statusCode ?? 502, headers: incoming.headers as Record<string, string> }))
    })
    outgoing.on('error', reject)
    const body = init.body as ReadableStream<Uint8Array>
    Readable.fromWeb(body as NodeWebStream<Uint8Array>).on('error', error => outgoing.destroy(error)).pipe(outgoing)
  })) as typeof fetch

const hostFetch = createNodeHostFetch()
// Webhook URLs are user input: their host names are resolved and checked like media URLs.
const webhookFetch = createNodeWebhookFetch({ resolve: host => lookup(host, { all: true, verbatim: true }), allowedHosts: config.WEBHOOK_ALLOWED_HOSTS })
const app = createGateway({
  config,
  host: createHostClient({ baseUrl: config.HOST_URL, secret: config.INTERNAL_SECRET, fetch: hostFetch, streamFetch, primitives: nodeSigningCrypto }),
  signingCrypto: nodeSigningCrypto,
  webhookFetch,
  docsAssets: createNodeDocsAssets(),
  verifier,
  onUnexpectedError: (error, requestId) => logger.error({ err: error, requestId }, 'unexpected error')
})
const port = Number(process.env.PORT ?? 3000)
const server = serve({ fetch: app.fetch, port, hostname: process.env.BIND ?? '127.0.0.1' }, info => {
  logger.info({ port: (info as AddressInfo).port, mode: config.WA_MODE }, 'gateway listening')
})
// A request Node's parser refuses gets the envelope too, not an empty 400.
server.on('clientError', answerClientError)
const stop = (signal: string) => {
  logger.info({ signal }, 'gateway stopping')
  server.close(() => void Promise.allSettled([hostFetch.close(), webhookFetch.close()]).finally(() => process.exit(0)))
  setTimeout(() => process.exit(1), 5_000).unref()
}
process.on('SIGTERM', () => stop('SIGTERM'))
process.on('SIGINT', () => stop('SIGINT'))
