import { createRoute, z } from '@hono/zod-openapi'
import { hasScope, requireScope, requireSession } from '../auth/scopes.ts'
import type { RouteGroupApp } from '../env/gateway-env.ts'
import { IDEMPOTENCY_KEY_TTL_HOURS, idempotencyOf } from '../http/idempotency.ts'
import { envelope, errorResponses, json, jsonRequest, Recipient, SentMessage, SessionIdParam } from '../http/schemas.ts'
import { hostListQuery, pageOf, RecipientWindowQuery, SessionFilter, sessionScope } from '../http/list-query.ts'
import { MESSAGE_ROUTES } from '../../shared/host-api/messages.ts'
import { MESSAGE_ID_PATTERN } from '../../shared/ids.ts'
import { MESSAGE_STATUSES } from '../../shared/statuses.ts'

const idempotencyHeader = z.object({
  'idempotency-key': z
    .string()
    .optional()
    .openapi({
      description: `Send once: a retry with the same key and body returns the first result; another body under the key is a 422. Keys are kept ${IDEMPOTENCY_KEY_TTL_HOURS} h.`
    })
})

const text = createRoute({
  method: 'post',
  path: '/api/messages/{sessionId}/text',
  tags: ['Messages'],
  summary: 'Send a text message',
  security: [{ bearerAuth: [] }],
  request: {
    params: z.object({ sessionId: SessionIdParam }),
    headers: idempotencyHeader,
    body: jsonRequest(z.object({ to: Recipient, text: z.string().min(1).max(4096) }))
  },
  responses: { 200: json(envelope(SentMessage), 'Sent'), ...errorResponses(404, 422) }
})

const status = createRoute({
  method: 'get',
  path: '/api/messages/{sessionId}/{messageId}',
  tags: ['Messages'],
  summary: 'A message and its status: queued, sent, delivered, read or failed, with timestamps',
  security: [{ bearerAuth: [] }],
  request: {
    params: z.object({
      sessionId: SessionIdParam,
      messageId: z
        .string()
        .regex(MESSAGE_ID_PATTERN)
        .openapi({ param: { name: 'messageId', in: 'path' } })
    })
  },
  responses: { 200: json(envelope(SentMessage), 'Message'), ...errorResponses(404) }
})

const MessagePage = pageOf(SentMessage.extend({ createdAt: z.string() }), 'MessagePage')
const MessageListQuery = RecipientWindowQuery.extend({ status: z.enum(MESSAGE_STATUSES).optional() })

const listOfSession = createRoute({
  method: 'get',
  path: '/api/messages/{sessionId}',
  tags: ['Messages'],
  summary: "A session's messages, newest first (never their content)",
  security: [{ bearerAuth: [] }],
  request: { params: z.object({ sessionId: SessionIdParam }), query: MessageListQuery },
  responses: { 200: json(envelope(MessagePage), 'A page of messages'), ...errorResponses(404, 422) }
})

const list = createRoute({
  method: 'get',
  path: '/api/messages',
  tags: ['Messages'],
  summary: 'Messages of every session the token may see, newest first (never their content)',
  security: [{ bearerAuth: [] }],
  request: { query: MessageListQuery.extend({ sessionId: SessionFilter }) },
  responses: { 200: json(envelope(MessagePage), 'A page of messages'), ...errorResponses(404, 422) }
})

export const registerMessages = (app: RouteGroupApp) =>
  app
    .openapi(listOfSession, async c => {
      requireScope(c.var.principal, 'sessions:read')
      const scope = sessionScope(c.var.principal, c.req.valid('param').sessionId)
      const data = await c.var.deps.host.call(MESSAGE_ROUTES.list, { query: hostListQuery(c.var.deps, scope, c.req.valid('query')) })
      return c.json({ success: true as const, message: 'Messages', data }, 200)
    })
    .openapi(list, async c => {
      requireScope(c.var.principal, 'sessions:read')
      const { sessionId, ...query } = c.req.valid('query')
      const data = await c.var.deps.host.call(MESSAGE_ROUTES.list, { query: hostListQuery(c.var.deps, sessionScope(c.var.principal, sessionId), query) })
      return c.json({ success: true as const, message: 'Messages', data }, 200)
    })
    .openapi(status, async c => {
      const { sessionId, messageId } = c.req.valid('param')
      if (!hasScope(c.var.principal, 'messages:send')) requireScope(c.var.principal, 'sessions:read')
      requireSession(c.var.principal, sessionId)
      const data = await c.var.deps.host.call(MESSAGE_ROUTES.get, { sessionId, messageId })
      return c.json({ success: true as const, message: 'Message', data }, 200)
    })
    .openapi(text, async c => {
      const { sessionId } = c.req.valid('param')
      requireScope(c.var.principal, 'messages:send')
      requireSession(c.var.principal, sessionId)
      const body = c.req.valid('json')
      const phone = c.var.deps.phone(body.to)
      const idempotency = await idempotencyOf(c, body)
      const data = await c.var.deps.host.call(
        MESSAGE_ROUTES.sendText,
        { sessionId },
        { jid: phone.jid, text: body.text, ...(idempotency ? { idempotency } : {}) }
      )
      return c.json({ success: true as const, message: 'Message accepted', data }, 200)
    })
