import { Hono } from 'hono'
import type { Logger } from 'pino'
import { toErrorResponse } from '../shared/error-response.ts'
import { errorEnvelope } from '../shared/errors.ts'
import type { SigningSecret } from '../shared/internal-signing.ts'
import { internalAuth } from './internal-auth.ts'
import type { Db } from './db/connection.ts'
import { messageRoutes } from './routes/messages.ts'
import { otpRoutes } from './routes/otp.ts'
import { sessionRoutes } from './routes/sessions.ts'
import type { SessionManager } from './sessions/session-manager.ts'
import { webhookRoutes } from './webhooks/routes.ts'

export type HostDeps = {
  db: Db
  clock?: () => number
  sessions: SessionManager
  internalSecret: SigningSecret
  logger: Logger
  /** Sandbox-only routes, mounted under /internal/sandbox when the host runs on the emulator. */
  sandbox?: Hono
}

/** The session host's internal API: only the gateway, holding the shared secret, may call it. */
export const createHostApp = ({ db, clock = Date.now, sessions, internalSecret, logger, sandbox }: HostDeps) => {
  const app = new Hono()
  app.get('/health', c => c.json({ ok: true }))
  app.use('/internal/*', internalAuth(internalSecret))
  app.route('/internal/sessions', sessionRoutes(sessions))
  app.route('/internal/sessions', messageRoutes(sessions))
  app.route('/internal', otpRoutes({ db, sessions, clock }))
  app.route('/internal/webhooks', webhookRoutes({ db, clock }))
  if (sandbox) app.route('/internal/sandbox', sandbox)
  app.notFound(c => c.json(errorEnvelope('NOT_FOUND', 'No such route'), 404))
  app.onError((error, c) => {
    const requestId = crypto.randomUUID()
    const response = toErrorResponse(error, requestId)
    if (response.unexpected) logger.error({ err: error, requestId, path: c.req.path }, 'unexpected error')
    return c.json(response.body, response.status as 500, response.headers)
  })
  return app
}
