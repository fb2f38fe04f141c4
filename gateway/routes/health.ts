import { createRoute, z } from '@hono/zod-openapi'
import type { GatewayApp } from '../env/gateway-env.ts'
import { HEALTH_ROUTE } from '../../shared/host-api/health.ts'

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
    sessions: z.record(z.string(), z.number())
  })
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

export const registerHealth = (app: GatewayApp) =>
  app.openapi(route, async c => {
    const { host, config } = c.var.deps
    const hostHealth = await host.call(HEALTH_ROUTE, {}).catch(() => undefined)
    const healthy = hostHealth?.database === 'ok'
    const data = {
      gateway: 'ok' as const,
      host: hostHealth ? ('ok' as const) : ('unreachable' as const),
      database: hostHealth?.database ?? ('unknown' as const),
      mode: config.WA_MODE,
      sessions: hostHealth?.sessions ?? {}
    }
    const message = healthy ? 'OK' : hostHealth ? 'The session host cannot write to its database' : 'The session host is unreachable'
    return c.json({ success: healthy, message, status: healthy ? ('OK' as const) : ('ERROR' as const), data }, healthy ? 200 : 503)
  })
