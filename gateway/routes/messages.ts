import { createRoute, z } from '@hono/zod-openapi'
import { requireScope, requireSession } from '../auth/scopes.ts'
import type { GatewayApp } from '../app.ts'
import { envelope, errorResponses, json, jsonRequest, Recipient, SessionIdParam } from './schemas.ts'

export const SentMessage = z
  .object({ sessionId: z.string(), to: z.string(), messageId: z.string(), status: z.string(), timestamp: z.string() })
  .openapi('SentMessage')

const text = createRoute({
  method: 'post',
  path: '/api/messages/{sessionId}/text',
  tags: ['Messages'],
  summary: 'Send a text message',
  security: [{ bearerAuth: [] }],
  request: {
    params: z.object({ sessionId: SessionIdParam }),
    body: jsonRequest(z.object({ to: Recipient, text: z.string().min(1).max(4096) }))
  },
  responses: { 200: json(envelope(SentMessage), 'Sent'), ...errorResponses(404, 422) }
})

export const registerMessages = (app: GatewayApp) =>
  app.openapi(text, async c => {
    const { sessionId } = c.req.valid('param')
    requireScope(c.var.principal, 'messages:send')
    requireSession(c.var.principal, sessionId)
    const body = c.req.valid('json')
    const phone = c.var.deps.phone(body.to)
    const data = await c.var.deps.host.call<z.infer<typeof SentMessage>>('POST', `/internal/sessions/${sessionId}/messages/text`, { jid: phone.jid, text: body.text })
    return c.json({ success: true as const, message: 'Message sent', data: { ...data, to: phone.e164 } }, 200)
  })
