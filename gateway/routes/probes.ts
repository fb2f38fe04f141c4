import { createRoute, z } from '@hono/zod-openapi'
import type { RouteGroupApp } from '../env/gateway-env.ts'
import { HEALTH_ROUTE } from '../../shared/host-api/health.ts'

const Live = z.object({ status: z.literal('ok') })
const Ready = z.object({
  status: z.enum(['ready', 'not ready']),
  reasons: z
    .array(z.enum(['host unreachable', 'database', 'sessions not restored', 'no live host']))
    .optional()
    .openapi({ description: 'What keeps it from being ready; absent when ready' })
})

const liveRoute = createRoute({
  method: 'get',
  path: '/livez',
  tags: ['Health'],
  summary: 'Liveness probe: the gateway process serves (no token)',
  responses: { 200: { description: 'Serving', content: { 'application/json': { schema: Live } } } }
})

const readyRoute = createRoute({
  method: 'get',
  path: '/readyz',
  tags: ['Health'],
  summary: 'Readiness probe: a session host answers, its database takes writes, and it has restored its sessions (no token)',
  responses: {
    200: { description: 'Ready for traffic', content: { 'application/json': { schema: Ready } } },
    503: { description: 'Not ready; `reasons` says why', content: { 'application/json': { schema: Ready } } }
  }
})

/**
 * Probes for a supervisor, outside /api and without a token: `/livez` answers while the process
 * serves (restart it when it stops answering), `/readyz` while it can do its work (send traffic
 * only then). Liveness never asks the host, so a host outage does not get the gateway restarted.
 */
export const registerProbes = (app: RouteGroupApp) => {
  app.openapi(liveRoute, c => c.json({ status: 'ok' as const }, 200))
  app.openapi(readyRoute, async c => {
    const health = await c.var.deps.host.call(HEALTH_ROUTE, {}).catch(() => undefined)
    const reasons: z.infer<typeof Ready>['reasons'] = !health
      ? ['host unreachable']
      : [
          ...(health.database === 'ok' ? [] : (['database'] as const)),
          ...(health.ready === false ? (['sessions not restored'] as const) : []),
          ...((health.hosts ?? []).length > 0 && !health.hosts.some(host => host.live) ? (['no live host'] as const) : [])
        ]
    return reasons.length === 0 ? c.json({ status: 'ready' as const }, 200) : c.json({ status: 'not ready' as const, reasons }, 503)
  })
}
