import { Hono } from 'hono'
import type { Logger } from 'pino'
import { toErrorResponse } from '../shared/error-response.ts'
import { errorEnvelope, ok } from '../shared/errors.ts'
import type { SigningSecret } from '../shared/internal-signing.ts'
import type { Db } from './db/database.ts'
import type { HostRecord } from './fleet/host-registry.ts'
import { internalAuth } from './internal-auth.ts'
import type { FetchPolicy } from './media/safe-fetch.ts'
import type { HostMetrics } from './metrics/host-metrics.ts'
import type { UploadSpool } from './media/upload-spool.ts'
import type { RecipientCheck } from './messages/recipient-check.ts'
import type { SendGovernor } from './governor/send-governor.ts'
import type { OtpService } from './otp/otp-service.ts'
import type { SendQueue } from './outbox/send-queue.ts'
import { Sandbox } from './sandbox/sandbox.ts'
import type { SharedSandbox } from './sandbox/shared-sandbox.ts'
import { governorRoutes } from './routes/governor.ts'
import { mediaMessageRoutes, UPLOAD_PATH } from './routes/media-messages.ts'
import { eventRoutes } from './routes/events.ts'
import { listRoutes } from './routes/lists.ts'
import { messageRoutes } from './routes/messages.ts'
import { metricsRoutes } from './routes/metrics.ts'
import { otpRoutes } from './routes/otp.ts'
import { richMessageRoutes } from './routes/rich-messages.ts'
import { sandboxRoutes, sharedSandboxRoutes } from './routes/sandbox.ts'
import { sessionRoutes } from './routes/sessions.ts'
import { webhookRoutes } from './routes/webhooks.ts'
import type { SessionManager } from './sessions/session-manager.ts'
import { HEALTH_ROUTE } from '../shared/host-api/health.ts'

export type HostAppDeps = {
  db: Db
  clock: () => number
  sessions: SessionManager
  otps: OtpService
  /** The durable send queue every message goes through. */
  queue: SendQueue
  /** Paces and caps first messages to new chats (every send is admitted by it). */
  governor: SendGovernor
  recipients: RecipientCheck
  internalSecret: SigningSecret
  logger: Logger
  /** The emulator in sandbox mode (or, in a sandbox fleet, the host that runs it): its routes are under /internal/sandbox. */
  sandbox?: Sandbox | SharedSandbox
  /** Whether the database takes writes now (openDatabase's probe); health says so. */
  databaseWritable: () => Promise<boolean>
  /** This host's id, and the fleet's hosts as the database lists them (health). */
  fleet: { hostId: string; hosts(): Promise<HostRecord[]>; ready(): boolean }
  /** Where media waits while it is checked, then until it is sent; and how URLs are fetched. */
  media: { outboxDir: string; spool: UploadSpool; fetchPolicy: FetchPolicy; maxBytes?: number }
  /** The host's Prometheus metrics, served at /internal/metrics. */
  metrics?: Pick<HostMetrics, 'render' | 'contentType'>
}

/** The session host's internal API: only the gateway, holding the shared secret, may call it. */
export const createHostApp = ({
  db,
  clock,
  sessions,
  otps,
  queue,
  governor,
  recipients,
  internalSecret,
  logger,
  sandbox,
  media,
  databaseWritable,
  fleet,
  metrics
}: HostAppDeps) => {
  const app = new Hono()
  // Unsigned, for supervisors and `npm start`: the process serves and its database takes writes.
  app.get('/health', async c => ((await databaseWritable()) ? c.json({ ok: true }) : c.json({ ok: false, database: 'unwritable' }, 503)))
  // Probes for a supervisor (Kubernetes, systemd): the process serves; it is ready to take traffic.
  app.get('/livez', c => c.json({ status: 'ok' }))
  app.get('/readyz', async c => {
    const reasons = [...((await databaseWritable()) ? [] : ['database']), ...(fleet.ready() ? [] : ['sessions not restored'])]
    return reasons.length === 0 ? c.json({ status: 'ready' }) : c.json({ status: 'not ready', reasons }, 503)
  })
  app.use('/internal/*', internalAuth(internalSecret, undefined, UPLOAD_PATH))
  // What the gateway's /api/health reports of the host.
  app.get(HEALTH_ROUTE.pattern, async c =>
    c.json(
      ok('Host health', {
        database: (await databaseWritable()) ? 'ok' : 'unwritable',
        sessions: await sessions.countByStatus(),
        hostId: fleet.hostId,
        ready: fleet.ready(),
        hosts: await fleet.hosts()
      })
    )
  )
  // Each route module mounts the patterns of its contracts in shared/host-api, as the gateway fills them in.
  const send = { db, queue, sessions, governor, recipients }
  app.route('/', sessionRoutes(sessions))
  app.route('/', governorRoutes(governor, sessions))
  app.route('/', messageRoutes(send))
  app.route('/', richMessageRoutes(send))
  app.route('/', mediaMessageRoutes({ ...send, ...media }))
  app.route('/', otpRoutes(otps))
  app.route('/', webhookRoutes({ db, clock }))
  app.route('/', listRoutes({ db, sessions }))
  app.route('/', eventRoutes({ db, sessions }))
  if (metrics) app.route('/', metricsRoutes(metrics))
  if (sandbox) app.route('/', sandbox instanceof Sandbox ? sandboxRoutes(sandbox, sessions) : sharedSandboxRoutes(sandbox))
  app.notFound(c => c.json(errorEnvelope('NOT_FOUND', 'No such route'), 404))
  app.onError((error, c) => {
    const requestId = crypto.randomUUID()
    const response = toErrorResponse(error, requestId)
    if (response.unexpected) logger.error({ err: error, requestId, path: c.req.path }, 'unexpected error')
    return c.json(response.body, response.status as 500, response.headers)
  })
  return app
}
