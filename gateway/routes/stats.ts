import { createRoute, z } from '@hono/zod-openapi'
import { requireScope } from '../auth/scopes.ts'
import type { RouteGroupApp } from '../env/gateway-env.ts'
import { SessionFilter, sessionScope } from '../http/list-query.ts'
import { envelope, errorResponses, json } from '../http/schemas.ts'
import { listQueryString } from '../../shared/host-api/list-page.ts'
import { STATS_DEFAULT_WINDOW_MS, StatsAnswer, STATS_ROUTES } from '../../shared/host-api/stats.ts'

const get = createRoute({
  method: 'get',
  path: '/api/stats',
  tags: ['Stats'],
  summary: 'Messages and OTPs created since a moment (24 hours ago by default), counted by the status each is in now',
  description: '`otpDelivery` counts the messages that carry an OTP: with `otps` it is the funnel (sent → delivered → approved, or expired or failed).',
  security: [{ bearerAuth: [] }],
  request: {
    query: z.object({
      sessionId: SessionFilter,
      since: z.iso.datetime({ offset: true }).optional().openapi({ description: 'ISO 8601; default 24 hours ago', example: '2026-01-31T00:00:00Z' })
    })
  },
  responses: { 200: json(envelope(StatsAnswer.openapi('Stats')), 'Counts by status'), ...errorResponses(404) }
})

export const registerStats = (app: RouteGroupApp) =>
  app.openapi(get, async c => {
    requireScope(c.var.principal, 'sessions:read')
    const { sessionId, since } = c.req.valid('query')
    const now = c.var.deps.now()
    const window = { since: since ?? new Date(now - STATS_DEFAULT_WINDOW_MS).toISOString(), until: new Date(now).toISOString() }
    const query = listQueryString({ ...sessionScope(c.var.principal, sessionId), ...window })
    const data = await c.var.deps.host.call(STATS_ROUTES.get, { query })
    return c.json({ success: true as const, message: 'Stats', data }, 200)
  })
