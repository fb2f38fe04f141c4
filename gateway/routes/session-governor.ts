import { createRoute, z } from '@hono/zod-openapi'
import { requireScope, requireSession } from '../auth/scopes.ts'
import type { RouteGroupApp } from '../env/gateway-env.ts'
import { envelope, errorResponses, json, jsonRequest, SessionIdParam } from '../http/schemas.ts'
import { GOVERNOR_ROUTES, GovernorSettingsSchema, GovernorView as HostGovernorView } from '../../shared/host-api/governor.ts'

const Params = z.object({ sessionId: SessionIdParam })
const security = [{ bearerAuth: [] }]
const GovernorView = HostGovernorView.openapi('SendGovernor')
const GovernorSettings = GovernorSettingsSchema.openapi('SendGovernorSettings', {
  description:
    "This session's own settings: `enabled` (false: its sends are neither paced nor capped), `newChatsPerDay` (in place of the cap that grows with the account's age), `newChatGapSeconds` (the mean gap between first messages to new chats, jittered ±50%). Unset fields take the host's SEND_GOVERNOR_* defaults."
})

const get = createRoute({
  method: 'get',
  path: '/api/sessions/{sessionId}/governor',
  tags: ['Sessions'],
  summary: "The session's send governor: new chats today, its cap, pacing, the 463 breaker and WhatsApp's own cap",
  security,
  request: { params: Params },
  responses: { 200: json(envelope(GovernorView), 'Send governor'), ...errorResponses(404) }
})

const configure = createRoute({
  method: 'put',
  path: '/api/sessions/{sessionId}/governor',
  tags: ['Sessions'],
  summary: "Set the session's own governor settings (null: the host's defaults again)",
  security,
  request: { params: Params, body: jsonRequest(z.object({ settings: GovernorSettings.nullable() })) },
  responses: { 200: json(envelope(GovernorView), 'Configured'), ...errorResponses(404) }
})

const resume = createRoute({
  method: 'post',
  path: '/api/sessions/{sessionId}/governor/resume',
  tags: ['Sessions'],
  summary: "Lift the 463 breaker's pause on new chats before its time",
  description: 'For an operator who checked the account (WhatsApp shows a restriction on the phone when there is one).',
  security,
  request: { params: Params },
  responses: { 200: json(envelope(GovernorView), 'Resumed'), ...errorResponses(404) }
})

export const registerSessionGovernor = (app: RouteGroupApp) =>
  app
    .openapi(get, async c => {
      const { sessionId } = c.req.valid('param')
      requireScope(c.var.principal, 'sessions:read')
      requireSession(c.var.principal, sessionId)
      const data = await c.var.deps.host.call(GOVERNOR_ROUTES.get, { sessionId })
      return c.json({ success: true as const, message: 'Send governor', data }, 200)
    })
    .openapi(configure, async c => {
      const { sessionId } = c.req.valid('param')
      requireScope(c.var.principal, 'sessions:write')
      requireSession(c.var.principal, sessionId)
      const data = await c.var.deps.host.call(GOVERNOR_ROUTES.configure, { sessionId }, c.req.valid('json'))
      return c.json({ success: true as const, message: 'Send governor configured', data }, 200)
    })
    .openapi(resume, async c => {
      const { sessionId } = c.req.valid('param')
      requireScope(c.var.principal, 'sessions:write')
      requireSession(c.var.principal, sessionId)
      const data = await c.var.deps.host.call(GOVERNOR_ROUTES.resume, { sessionId })
      return c.json({ success: true as const, message: 'New chats resumed', data }, 200)
    })
