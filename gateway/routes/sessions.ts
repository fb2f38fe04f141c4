import { createRoute, z } from '@hono/zod-openapi'
import { DEFAULT_DEVICE_LABEL, DeviceLabel } from '../../shared/sessions.ts'
import { QR_PAGE_MESSAGES as QR_INSTRUCTIONS } from '../http/qr-page-html.ts'
import { filterSessions, requireScope, requireSession } from '../auth/scopes.ts'
import type { RouteGroupApp } from '../env/gateway-env.ts'
import { envelope, errorResponses, json, jsonRequest, Recipient, SessionIdParam, SessionView } from '../http/schemas.ts'
import { prepareWebhook, WebhookInput, WebhookView } from '../webhooks/session-webhook.ts'
import { SESSION_ROUTES, SessionDeletedAnswer } from '../../shared/host-api/sessions.ts'

const Params = z.object({ sessionId: SessionIdParam })
const security = [{ bearerAuth: [] }]

const create = createRoute({
  method: 'post',
  path: '/api/sessions/create',
  tags: ['Sessions'],
  summary: 'Create a session and start linking it',
  security,
  request: {
    body: jsonRequest(
      z.object({
        sessionId: SessionIdParam.optional().openapi({ param: undefined, description: 'Generated (`session_<uuid>`) when absent, as the original API did' }),
        webhook: WebhookInput.optional(),
        deviceLabel: DeviceLabel.optional().openapi({
          description: `The name the phone lists the session under (Settings → Linked devices); default "${DEFAULT_DEVICE_LABEL}". Pairing by code works whatever it is.`,
          example: 'Toko Maju OTP'
        })
      })
    )
  },
  responses: { 201: json(envelope(SessionView.extend({ webhook: WebhookView.optional(), timestamp: z.string() })), 'Created'), ...errorResponses(409, 422) }
})

const list = createRoute({
  method: 'get',
  path: '/api/sessions',
  tags: ['Sessions'],
  summary: 'List the sessions this token may see',
  security,
  responses: { 200: json(envelope(z.object({ sessions: z.array(SessionView), total: z.number().int() })), 'Sessions'), ...errorResponses() }
})

const status = createRoute({
  method: 'get',
  path: '/api/sessions/{sessionId}/status',
  tags: ['Sessions'],
  summary: 'Session status',
  security,
  request: { params: Params },
  responses: { 200: json(envelope(SessionView), 'Status'), ...errorResponses(404) }
})

const qr = createRoute({
  method: 'get',
  path: '/api/sessions/{sessionId}/qr',
  tags: ['Sessions'],
  summary: 'The QR code to link the session (raw and PNG data URL)',
  security,
  request: { params: Params },
  responses: {
    200: json(
      envelope(
        z.object({
          qr: z.string(),
          qrImage: z.string(),
          qrCode: z.string().openapi({ description: "The same PNG data URL as `qrImage` (the original API's name)" }),
          timestamp: z.string().openapi({ description: 'When this code was made' }),
          instructions: z.string(),
          refreshed: z.boolean().openapi({ description: 'WhatsApp rotated this code after the phone scanned it: scan the code shown now again' })
        })
      ),
      'QR code'
    ),
    ...errorResponses(404, 409)
  }
})

const pairingCode = createRoute({
  method: 'post',
  path: '/api/sessions/{sessionId}/pairing-code',
  tags: ['Sessions'],
  summary: 'Link by phone number: a code to type on the phone',
  description:
    "Answers once WhatsApp accepted the request; a refusal is 422 PAIRING_CODE_REFUSED with the server's `serverCode` and `serverText` in `details`. A session whose link failed starts a new registration first.",
  security,
  request: { params: Params, body: jsonRequest(z.object({ phoneNumber: Recipient })) },
  responses: { 200: json(envelope(z.object({ code: z.string() })), 'Pairing code'), ...errorResponses(404, 409, 422) }
})

const restart = createRoute({
  method: 'put',
  path: '/api/sessions/{sessionId}/restart',
  tags: ['Sessions'],
  summary: 'Restart the session socket',
  security,
  request: { params: Params },
  responses: { 200: json(envelope(SessionView.extend({ timestamp: z.string() })), 'Restarted'), ...errorResponses(404) }
})

const remove = createRoute({
  method: 'delete',
  path: '/api/sessions/{sessionId}',
  tags: ['Sessions'],
  summary: 'Log out and delete the session with its auth state and history',
  description:
    'Its messages, OTPs and events are deleted with it. `discarded` counts what goes with it never done: messages not yet sent, OTPs still pending, webhook deliveries still pending (its own final `logged_out` event among them).',
  security,
  request: { params: Params },
  responses: {
    200: json(envelope(SessionDeletedAnswer), 'Deleted'),
    ...errorResponses(404)
  }
})

export const registerSessions = (app: RouteGroupApp) =>
  app
    .openapi(create, async c => {
      requireScope(c.var.principal, 'sessions:write')
      const body = c.req.valid('json')
      const { webhook, deviceLabel } = body
      const sessionId = body.sessionId ?? `session_${crypto.randomUUID()}`
      requireSession(c.var.principal, sessionId)
      const prepared = webhook ? prepareWebhook(webhook, c.var.deps.config) : undefined
      const view = await c.var.deps.host.call(
        SESSION_ROUTES.create,
        {},
        { sessionId, ...(deviceLabel ? { deviceLabel } : {}), ...(prepared ? { webhook: prepared.host } : {}) }
      )
      // A generated secret is shown in this answer only; the host never returns it.
      const data =
        prepared && webhook
          ? { ...view, webhook: { url: webhook.url, events: webhook.events ?? null, ...(prepared.generated ? { secret: prepared.generated } : {}) } }
          : view
      return c.json({ success: true as const, message: 'Session created', data: { ...data, timestamp: new Date(c.var.deps.now()).toISOString() } }, 201)
    })
    .openapi(list, async c => {
      requireScope(c.var.principal, 'sessions:read')
      const all = await c.var.deps.host.call(SESSION_ROUTES.list, {})
      const allowed = new Set(
        filterSessions(
          c.var.principal,
          all.map(s => s.sessionId)
        )
      )
      const visible = all.filter(s => allowed.has(s.sessionId))
      return c.json({ success: true as const, message: 'Sessions', data: { sessions: visible, total: visible.length } }, 200)
    })
    .openapi(status, async c => {
      const { sessionId } = c.req.valid('param')
      requireScope(c.var.principal, 'sessions:read')
      requireSession(c.var.principal, sessionId)
      const data = await c.var.deps.host.call(SESSION_ROUTES.get, { sessionId })
      return c.json({ success: true as const, message: 'Session status', data }, 200)
    })
    .openapi(qr, async c => {
      const { sessionId } = c.req.valid('param')
      requireScope(c.var.principal, 'sessions:read')
      requireSession(c.var.principal, sessionId)
      const data = await c.var.deps.host.call(SESSION_ROUTES.qr, { sessionId })
      const instructions = data.refreshed ? QR_INSTRUCTIONS.refreshed : QR_INSTRUCTIONS.scan
      return c.json({ success: true as const, message: 'QR code', data: { ...data, qrCode: data.qrImage, instructions } }, 200)
    })
    .openapi(pairingCode, async c => {
      const { sessionId } = c.req.valid('param')
      requireScope(c.var.principal, 'sessions:write')
      requireSession(c.var.principal, sessionId)
      const { phoneNumber } = c.req.valid('json')
      const phone = c.var.deps.phone(phoneNumber, 'phoneNumber')
      const data = await c.var.deps.host.call(SESSION_ROUTES.pairingCode, { sessionId }, { phoneNumber: phone.e164.slice(1) })
      return c.json({ success: true as const, message: 'Pairing code', data }, 200)
    })
    .openapi(restart, async c => {
      const { sessionId } = c.req.valid('param')
      requireScope(c.var.principal, 'sessions:write')
      requireSession(c.var.principal, sessionId)
      const data = await c.var.deps.host.call(SESSION_ROUTES.restart, { sessionId })
      return c.json({ success: true as const, message: 'Session restarted', data: { ...data, timestamp: new Date(c.var.deps.now()).toISOString() } }, 200)
    })
    .openapi(remove, async c => {
      const { sessionId } = c.req.valid('param')
      requireScope(c.var.principal, 'sessions:write')
      requireSession(c.var.principal, sessionId)
      const data = await c.var.deps.host.call(SESSION_ROUTES.remove, { sessionId })
      return c.json({ success: true as const, message: 'Session deleted', data }, 200)
    })
