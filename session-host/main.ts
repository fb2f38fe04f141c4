import type { AddressInfo } from 'node:net'
import pino from 'pino'
import pretty from 'pino-pretty'
import { serve } from '@hono/node-server'
import { answerClientError } from '../shared/client-error-response.ts'
import { buildLogger, logFormat } from '../shared/logger.ts'
import { parseHostConfig } from './config.ts'
import { createHost } from './create-host.ts'
import { containLibsignalConsole } from './libsignal-console.ts'
import { startKeyPairSupply } from './sessions/key-pair-supply.ts'

/** Node entry: parses the environment, builds the host, serves it, and stops it on SIGTERM/SIGINT. */
const main = async (): Promise<void> => {
  const config = parseHostConfig(process.env)
  const logger = buildLogger({ pino, pretty }, { name: 'session-host', level: config.LOG_LEVEL, format: logFormat(config), colorize: process.stdout.isTTY })
  containLibsignalConsole(logger)
  const keyPairs = startKeyPairSupply()
  if (config.MEDIA_URL_ALLOW_HOSTS.length > 0)
    logger.warn({ hosts: config.MEDIA_URL_ALLOW_HOSTS }, 'media URLs may reach these hosts although they are private (MEDIA_URL_ALLOW_HOSTS)')
  if (!config.GATEWAY_URL) logger.warn('GATEWAY_URL is not set: webhook events are stored but not delivered')
  const host = await createHost({ config, logger })
  // Baileys writes its encrypted media copies to os.tmpdir(), which it reads on every send and takes
  // no option for: pointing this process's TMPDIR at the spool folder means whatever it fails to
  // remove goes when the spool does. A process-wide setting, so it is made here, by the process owner.
  process.env.TMPDIR = host.spool.dir
  await host.start()
  const server = serve({ fetch: host.app.fetch, port: config.HOST_PORT, hostname: config.HOST_BIND }, info => {
    logger.info({ port: (info as AddressInfo).port, bind: config.HOST_BIND, mode: config.WA_MODE }, 'session host listening')
  })
  // A request Node's parser refuses gets the envelope too, not an empty 400.
  server.on('clientError', answerClientError)

  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    logger.info({ signal }, 'session host stopping')
    const force = setTimeout(() => process.exit(1), 10_000).unref()
    // Hands the sessions over while still answering: a request that comes meanwhile is told where
    // its session went (or queued for its next host), not refused.
    await host.handOver()
    await new Promise<void>(resolve => server.close(() => resolve()))
    await host.stop()
    await keyPairs.stop()
    clearTimeout(force)
    process.exit(0)
  }
  process.on('SIGTERM', () => void stop('SIGTERM'))
  process.on('SIGINT', () => void stop('SIGINT'))
}

main().catch(error => {
  console.error(error instanceof Error ? error.message : error)
  process.exit(1)
})
