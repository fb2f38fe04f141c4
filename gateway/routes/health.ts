import { createRoute, z } from '@hono/zod-openapi'
import { bearerToken } from '../auth/middleware.ts'
import { hasScope } from '../auth/scopes.ts'
import type { RouteGroupApp } from '../env/gateway-env.ts'
import { HEALTH_ROUTE } from '../../shared/host-api/health.ts'
import type { FleetHost } from '../../shared/host-api/health.ts'

const HostEntry = z
  .object({
    id: z.string().openapi({ description: "The host's HOST_ID" }),
    status: z.enum(['up', 'stopping', 'stopped', 'unreachable']).openapi({
      description:
        '`up` while it heartbeats; `stopping` while it hands its sessions over; `stopped` after a clean stop; `unreachable` when it went silent (its sessions move to the others once its leases run out)'
    }),
    sessions: z.number().int().openapi({ description: 'How many sessions it runs now' }),
    url: z.string().optional().openapi({ description: 'Where the gateway reaches it: shown to an `admin` token only' })
  })
  .openapi('FleetHost')

const Health = z.object({
  success: z.boolean(),
  message: z.string(),
  status: z
    .enum(['OK', 'ERROR'])
    .openapi({ description: "The original API's field: OK, or ERROR when the host is unreachable or its database takes no writes" }),
  data: z.object({
    gateway: z.literal('ok'),
    host: z.enum(['ok', 'unreachable']),
    database: z.enum(['ok', 'unwritable', 'unknown']).openapi({ description: "The host's database: `unknown` while the host is unreachable" }),
    mode: z.enum(['live', 'sandbox']),
    sessions: z.record(z.string(), z.number()),
    hosts: z.array(HostEntry).openapi({ description: 'The session hosts sharing the database (one, on SQLite)' })
  }),
  error: z
    .object({ code: z.enum(['HOST_UNAVAILABLE', 'DATABASE_UNAVAILABLE']) })
    .optional()
    .openapi({ description: 'On a 503, why, as every failed answer says it; `data` still describes each part' })
})

const route = createRoute({
  method: 'get',
  path: '/api/health',
  tags: ['Health'],
  summary: 'Gateway, session host and database health (no token)',
  responses: {
    200: { description: 'Healthy', content: { 'application/json': { schema: Health } } },
    503: { description: 'The host is unreachable or its database takes no writes', content: { 'application/json': { schema: Health } } }
  }
})

/** A host's public status: a silent one is `unreachable` whatever its row last said. */
const statusOf = (host: z.infer<typeof FleetHost>): 'up' | 'stopping' | 'stopped' | 'unreachable' =>
  host.live ? 'up' : host.status === 'up' ? 'unreachable' : host.status

export const registerHealth = (app: RouteGroupApp) =>
  app.openapi(route, async c => {
    const { host, config, verifier } = c.var.deps
    const hostHealth = await host.call(HEALTH_ROUTE, {}).catch(() => undefined)
    // No token is needed; an admin token also sees where each host is.
    const token = bearerToken(c.req.header('Authorization'))
    const admin = token
      ? await verifier.verify(token).then(
          principal => hasScope(principal, 'admin'),
          () => false
        )
      : false
    const healthy = hostHealth?.database === 'ok'
    const data = {
      gateway: 'ok' as const,
      host: hostHealth ? ('ok' as const) : ('unreachable' as const),
      database: hostHealth?.database ?? ('unknown' as const),
      mode: config.WA_MODE,
      sessions: hostHealth?.sessions ?? {},
      hosts: (hostHealth?.hosts ?? []).map(entry => ({
        id: entry.id,
        status: statusOf(entry),
        sessions: entry.sessions,
        ...(admin ? { url: entry.url } : {})
      }))
    }
    if (healthy) return c.json({ success: true, message: 'OK', status: 'OK' as const, data }, 200)
    const [code, message] = hostHealth
      ? (['DATABASE_UNAVAILABLE', 'The session host cannot write to its database'] as const)
      : (['HOST_UNAVAILABLE', 'The session host is unreachable'] as const)
    return c.json({ success: false, message, status: 'ERROR' as const, data, error: { code } }, 503)
  })
