import { createRoute, z } from '@hono/zod-openapi'
import type { GatewayApp } from '../app.ts'

const route = createRoute({
  method: 'get',
  path: '/api/health',
  tags: ['Health'],
  summary: 'Gateway and session host health',
  responses: {
    200: {
      description: 'Health',
      content: {
        'application/json': {
          schema: z.object({
            success: z.literal(true),
            message: z.string(),
            data: z.object({
              gateway: z.literal('ok'),
              host: z.enum(['ok', 'unreachable']),
              mode: z.enum(['live', 'sandbox']),
              sessions: z.record(z.string(), z.number())
            })
          })
        }
      }
    }
  }
})

export const registerHealth = (app: GatewayApp) =>
  app.openapi(route, async c => {
    const { host, config } = c.var.deps
    const sessions = await host.call<{ status: string }[]>('GET', '/internal/sessions').catch(() => undefined)
    const byStatus: Record<string, number> = {}
    for (const session of sessions ?? []) byStatus[session.status] = (byStatus[session.status] ?? 0) + 1
    return c.json(
      { success: true as const, message: 'OK', data: { gateway: 'ok' as const, host: sessions ? ('ok' as const) : ('unreachable' as const), mode: config.WA_MODE, sessions: byStatus } },
      200
    )
  })
