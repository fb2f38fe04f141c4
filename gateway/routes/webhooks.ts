import { createRoute, z } from '@hono/zod-openapi'
import { requireScope, requireSession } from '../auth/scopes.ts'
import type { RouteGroupApp } from '../env/gateway-env.ts'
import { prepareWebhook, WebhookInput, WebhookView } from '../webhooks/session-webhook.ts'
import { envelope, errorResponses, json, jsonRequest, SessionIdParam } from '../http/schemas.ts'
import { DeadLetter as HostDeadLetter, WebhookDelivery, WEBHOOK_ROUTES } from '../../shared/host-api/webhooks.ts'
import { WEBHOOK_DELIVERY_STATUSES } from '../../shared/statuses.ts'
import { hostListQuery, ListQuery, pageOf, SessionFilter, sessionScope } from '../http/list-query.ts'
import { EVENT_ID_PATTERN } from '../../shared/ids.ts'

const Params = z.object({ sessionId: SessionIdParam })
const EventParams = z.object({
  eventId: z
    .string()
    .regex(EVENT_ID_PATTERN)
    .openapi({ param: { name: 'eventId', in: 'path' } })
})
const security = [{ bearerAuth: [] }]

// The host's answer, as the public API shows it.
const DeadLetter = HostDeadLetter.openapi('DeadLetter')

const put = createRoute({
  method: 'put',
  path: '/api/sessions/{sessionId}/webhook',
  tags: ['Webhooks'],
  summary: "Set a session's webhook",
  description:
    'Replaces the URL and event filter. Pass `secret`, or `rotateSecret: true` for a generated one, to rotate: the previous secret keeps signing alongside the new one for 24 hours.',
  security,
  request: { params: Params, body: jsonRequest(WebhookInput.extend({ rotateSecret: z.boolean().optional() })) },
  responses: { 200: json(envelope(WebhookView), 'Webhook set'), ...errorResponses(404, 422) }
})

const get = createRoute({
  method: 'get',
  path: '/api/sessions/{sessionId}/webhook',
  tags: ['Webhooks'],
  summary: "A session's webhook (without its secret)",
  security,
  request: { params: Params },
  responses: { 200: json(envelope(WebhookView), 'Webhook'), ...errorResponses(404) }
})

const remove = createRoute({
  method: 'delete',
  path: '/api/sessions/{sessionId}/webhook',
  tags: ['Webhooks'],
  summary: "Remove a session's webhook and drop its undelivered events",
  security,
  request: { params: Params },
  responses: { 200: json(envelope(z.object({ sessionId: z.string() })), 'Removed'), ...errorResponses(404) }
})

const deadLetters = createRoute({
  method: 'get',
  path: '/api/webhooks/dead-letters',
  tags: ['Webhooks'],
  summary: 'Events that could not be delivered after retrying for 24 hours',
  security,
  responses: { 200: json(envelope(z.array(DeadLetter)), 'Dead letters, newest first'), ...errorResponses() }
})

const deliveries = createRoute({
  method: 'get',
  path: '/api/webhooks/deliveries',
  tags: ['Webhooks'],
  summary: 'The delivery log: each event to each webhook, with its attempts, the last answer and the next retry',
  description:
    "Newest event first. A token limited to some sessions sees their own webhooks' deliveries; the operator's global webhook (WEBHOOK_URL) is shown only to a token for every session.",
  security,
  request: { query: ListQuery.extend({ sessionId: SessionFilter, status: z.enum(WEBHOOK_DELIVERY_STATUSES).optional() }) },
  responses: { 200: json(envelope(pageOf(WebhookDelivery.openapi('WebhookDelivery'), 'WebhookDeliveryPage')), 'A page of deliveries'), ...errorResponses(404) }
})

const replay = createRoute({
  method: 'post',
  path: '/api/webhooks/dead-letters/{eventId}/replay',
  tags: ['Webhooks'],
  summary: 'Queue a dead letter again; it is delivered with the same event id',
  security,
  request: { params: EventParams },
  responses: { 200: json(envelope(z.object({ eventId: z.string(), requeued: z.number() })), 'Queued'), ...errorResponses(404) }
})

export const registerWebhooks = (app: RouteGroupApp) =>
  app
    .openapi(put, async c => {
      const { sessionId } = c.req.valid('param')
      requireScope(c.var.principal, 'sessions:write')
      requireSession(c.var.principal, sessionId)
      const { rotateSecret, ...input } = c.req.valid('json')
      const { host, generated } = prepareWebhook(input, c.var.deps.config, { rotate: rotateSecret === true })
      const saved = await c.var.deps.host.call(WEBHOOK_ROUTES.setEndpoint, { sessionId }, host)
      const data = { url: saved.url, events: saved.events, ...(generated && saved.secretCreated ? { secret: generated } : {}) }
      return c.json({ success: true as const, message: 'Webhook set', data }, 200)
    })
    .openapi(get, async c => {
      const { sessionId } = c.req.valid('param')
      requireScope(c.var.principal, 'sessions:read')
      requireSession(c.var.principal, sessionId)
      const saved = await c.var.deps.host.call(WEBHOOK_ROUTES.getEndpoint, { sessionId })
      return c.json({ success: true as const, message: 'Webhook', data: { url: saved.url, events: saved.events } }, 200)
    })
    .openapi(remove, async c => {
      const { sessionId } = c.req.valid('param')
      requireScope(c.var.principal, 'sessions:write')
      requireSession(c.var.principal, sessionId)
      await c.var.deps.host.call(WEBHOOK_ROUTES.removeEndpoint, { sessionId })
      return c.json({ success: true as const, message: 'Webhook removed', data: { sessionId } }, 200)
    })
    .openapi(deadLetters, async c => {
      requireScope(c.var.principal, 'sessions:write')
      const data = await c.var.deps.host.call(
        WEBHOOK_ROUTES.deadLetters,
        c.var.principal.sessions ? { query: { sessions: c.var.principal.sessions.join(',') } } : {}
      )
      return c.json({ success: true as const, message: 'Dead letters', data }, 200)
    })
    .openapi(deliveries, async c => {
      requireScope(c.var.principal, 'sessions:read')
      const { sessionId, ...query } = c.req.valid('query')
      const data = await c.var.deps.host.call(WEBHOOK_ROUTES.deliveries, { query: hostListQuery(c.var.deps, sessionScope(c.var.principal, sessionId), query) })
      return c.json({ success: true as const, message: 'Webhook deliveries', data }, 200)
    })
    .openapi(replay, async c => {
      requireScope(c.var.principal, 'sessions:write')
      const { eventId } = c.req.valid('param')
      const body = c.var.principal.sessions ? { sessionIds: [...c.var.principal.sessions] } : {}
      const data = await c.var.deps.host.call(WEBHOOK_ROUTES.replay, { eventId }, body)
      return c.json({ success: true as const, message: 'Dead letter queued again', data }, 200)
    })
