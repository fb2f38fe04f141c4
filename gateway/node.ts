import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import { lookup } from 'node:dns/promises'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import pino from 'pino'
import pretty from 'pino-pretty'
import { answerClientError } from '../shared/client-error-response.ts'
import { buildLogger, logFormat, parseLogSettings } from '../shared/logger.ts'
import { signingCryptoFrom } from '../shared/signing-crypto-from.ts'
import { buildGatewayAhead } from './build-gateway.ts'
import { parseGatewayConfig } from './env/config.ts'
import { createNodeDashboardAssets } from './node/dashboard-assets.ts'
import { createNodeDocsAssets } from './node/docs-assets.ts'
import { createNodeHostFetch } from './node/host-fetch.ts'
import { nodeStreamFetch } from './node/stream-fetch.ts'
import { createNodeWebhookFetch } from './node/webhook-fetch.ts'
import { MAX_PHONE_NUMBERS } from '../shared/phone-max.ts'

/** Node entry: parses the environment once, builds the app, serves it, and stops on SIGTERM/SIGINT. */
const main = async (): Promise<void> => {
  const config = parseGatewayConfig(process.env)
  const logSettings = parseLogSettings(process.env)
  const logger = buildLogger(
    { pino, pretty },
    { name: 'gateway', level: logSettings.LOG_LEVEL, format: logFormat(logSettings), colorize: process.stdout.isTTY }
  )
  const hostFetch = createNodeHostFetch()
  // Webhook URLs are user input: their host names are resolved and checked like media URLs.
  const webhookFetch = createNodeWebhookFetch({ resolve: host => lookup(host, { all: true, verbatim: true }), allowedHosts: config.WEBHOOK_ALLOWED_HOSTS })
  // A long-running process builds every route before it listens: only a Workers isolate, which
  // may wake for one request, is better off building a route group when a request needs it.
  const app = await buildGatewayAhead(config, {
    phoneNumbers: MAX_PHONE_NUMBERS,
    hostFetch,
    streamFetch: nodeStreamFetch,
    webhookFetch,
    signingCrypto: signingCryptoFrom({ createHash, createHmac, timingSafeEqual }),
    docsAssets: createNodeDocsAssets(),
    dashboardAssets: createNodeDashboardAssets(),
    onUnexpectedError: (error, requestId) => logger.error({ err: error, requestId }, 'unexpected error')
  })
  const server = serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 3000), hostname: process.env.BIND ?? '127.0.0.1' }, info => {
    logger.info({ port: (info as AddressInfo).port, mode: config.WA_MODE }, 'gateway listening')
  })
  // A request Node's parser refuses gets the envelope too, not an empty 400.
  server.on('clientError', answerClientError)

  // A second signal (SIGTERM, then SIGINT from a terminal) must not close the server again: its
  // callback would fire at once with an error and exit before the open requests finished.
  let stopping = false
  const stop = (signal: string) => {
    if (stopping) return
    stopping = true
    logger.info({ signal }, 'gateway stopping')
    setTimeout(() => process.exit(1), 5_000).unref()
    server.close(() => void Promise.allSettled([hostFetch.close(), webhookFetch.close()]).finally(() => process.exit(0)))
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))
}

main().catch((error: unknown) => {
  // The message alone: a configuration error names each bad variable, never its value.
  console.error(error instanceof Error ? error.message : error)
  process.exit(1)
})
