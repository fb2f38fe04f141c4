import { createRoute, z } from '@hono/zod-openapi'
import { requireScope, requireSession } from '../auth/scopes.ts'
import type { RouteGroupApp } from '../env/gateway-env.ts'
import { envelope, errorResponses, json, SessionIdParam } from '../http/schemas.ts'
import { MESSAGE_ROUTES } from '../../shared/host-api/messages.ts'

const NumberCheck = z.object({ input: z.string(), e164: z.string(), jid: z.string(), onWhatsApp: z.boolean() }).openapi('NumberCheck')

const check = createRoute({
  method: 'get',
  path: '/api/messages/{sessionId}/check-number/{number}',
  tags: ['Utilities'],
  summary: 'Whether a number is on WhatsApp, asked through a connected session',
  security: [{ bearerAuth: [] }],
  request: {
    params: z.object({
      sessionId: SessionIdParam,
      number: z
        .string()
        .min(1)
        .max(64)
        .openapi({ param: { name: 'number', in: 'path' }, example: '081234567890' })
    })
  },
  responses: { 200: json(envelope(NumberCheck), 'Checked'), ...errorResponses(404, 422) }
})

export const registerNumbers = (app: RouteGroupApp) =>
  app.openapi(check, async c => {
    const { sessionId, number } = c.req.valid('param')
    requireScope(c.var.principal, 'messages:send')
    requireSession(c.var.principal, sessionId)
    const phone = c.var.deps.phone(number, 'number')
    const { onWhatsApp } = await c.var.deps.host.call(MESSAGE_ROUTES.checkNumber, { sessionId, digits: phone.e164.slice(1) })
    return c.json(
      {
        success: true as const,
        message: onWhatsApp ? 'On WhatsApp' : 'Not on WhatsApp',
        data: { input: number, e164: phone.e164, jid: phone.jid, onWhatsApp }
      },
      200
    )
  })
