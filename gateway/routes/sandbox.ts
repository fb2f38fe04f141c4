import { createRoute, z } from '@hono/zod-openapi'
import { canUseSession, requireScope } from '../auth/scopes.ts'
import type { GatewayApp } from '../app.ts'
import { envelope, errorResponses, json } from './schemas.ts'

const SandboxMessage = z
  .object({
    messageId: z.string(),
    sessionId: z.string().nullable(),
    to: z.string(),
    refusedWith: z.string().nullable().openapi({ description: 'The error the emulated server refused the message with, if it did' }),
    text: z.string().nullable().openapi({ description: 'The text or caption the recipient decrypted' }),
    received: z.array(z.record(z.string(), z.unknown())).openapi({ description: 'Each message the recipient decrypted (WhatsApp protobuf as JSON)' })
  })
  .openapi('SandboxMessage')

const messages = createRoute({
  method: 'get',
  path: '/api/sandbox/messages',
  tags: ['Sandbox'],
  summary: 'SANDBOX ONLY: what the simulated recipients decrypted (this route does not exist in live mode)',
  security: [{ bearerAuth: [] }],
  request: { query: z.object({ to: z.string().min(3).max(64).optional().openapi({ example: '081234567890' }) }) },
  responses: { 200: json(envelope(z.array(SandboxMessage)).extend({ sandbox: z.literal(true) }), 'Messages'), ...errorResponses(422) }
})

type Message = z.infer<typeof SandboxMessage>

/** Registered only in sandbox mode, so a live gateway answers 404 here. */
export const registerSandbox = (app: GatewayApp) =>
  app.openapi(messages, async c => {
    requireScope(c.var.principal, 'messages:send')
    const { to } = c.req.valid('query')
    const query = to ? `?to=${c.var.deps.phone(to).e164.slice(1)}` : ''
    const all = await c.var.deps.host.call<Message[]>('GET', `/internal/sandbox/messages${query}`)
    const data = all.filter(m => m.sessionId !== null && canUseSession(c.var.principal, m.sessionId))
    return c.json({ success: true as const, sandbox: true as const, message: 'Sandbox: what the simulated recipients decrypted', data }, 200)
  })
