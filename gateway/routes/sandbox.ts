import { createRoute, z } from '@hono/zod-openapi'
import { MEDIA_KINDS } from '../../shared/media.ts'
import { canUseSession, requireScope, requireSession } from '../auth/scopes.ts'
import type { RouteGroupApp } from '../env/gateway-env.ts'
import { envelope, errorResponses, json, jsonRequest, Recipient, SessionIdParam } from '../http/schemas.ts'
import { SANDBOX_ROUTES, SandboxInboundAnswer } from '../../shared/host-api/sandbox.ts'

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

const inbound = createRoute({
  method: 'post',
  path: '/api/sandbox/inbound',
  tags: ['Sandbox'],
  summary: 'SANDBOX ONLY: a contact sends a session a text or a file (then a message.received webhook)',
  security: [{ bearerAuth: [] }],
  request: {
    body: jsonRequest(
      z
        .object({
          sessionId: SessionIdParam.openapi({ param: undefined }),
          from: Recipient.openapi({ description: 'The contact who writes, as people type numbers', example: '081234567890' }),
          text: z.string().min(1).max(4096).optional(),
          lidOnly: z.boolean().optional().openapi({
            description:
              "The message comes from the contact's LID alone, without its number, as WhatsApp sends some: message.received names the number only if the session learnt it before (the contact wrote with both, or the session wrote to it)"
          }),
          media: z
            .object({
              type: z.enum(MEDIA_KINDS),
              data: z
                .base64()
                .max(7 * 1024 * 1024)
                .openapi({ description: 'The file, base64 (up to 5 MB)' }),
              mimetype: z.string().min(3).max(128).optional(),
              fileName: z.string().min(1).max(255).optional(),
              caption: z.string().max(1024).optional()
            })
            .optional()
        })
        .refine(body => (body.text === undefined) !== (body.media === undefined), { message: 'give either text or media', path: ['text'] })
    )
  },
  responses: {
    201: json(envelope(SandboxInboundAnswer).extend({ sandbox: z.literal(true) }), 'Sent by the contact'),
    ...errorResponses(404, 422)
  }
})

/** Registered only in sandbox mode, so a live gateway answers 404 here. */
export const registerSandbox = (app: RouteGroupApp) =>
  app
    .openapi(inbound, async c => {
      requireScope(c.var.principal, 'messages:send')
      const { from, ...body } = c.req.valid('json')
      requireSession(c.var.principal, body.sessionId)
      const data = await c.var.deps.host.call(SANDBOX_ROUTES.inbound, {}, { ...body, from: c.var.deps.phone(from, 'from').e164.slice(1) })
      return c.json({ success: true as const, sandbox: true as const, message: 'Sandbox: the contact sent it', data }, 201)
    })
    .openapi(messages, async c => {
      requireScope(c.var.principal, 'messages:send')
      const { to } = c.req.valid('query')
      const all = await c.var.deps.host.call(SANDBOX_ROUTES.messages, to ? { query: { to: c.var.deps.phone(to).e164.slice(1) } } : {})
      const data = all.filter(m => m.sessionId !== null && canUseSession(c.var.principal, m.sessionId))
      return c.json({ success: true as const, sandbox: true as const, message: 'Sandbox: what the simulated recipients decrypted', data }, 200)
    })
