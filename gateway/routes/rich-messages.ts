import { createRoute, z } from '@hono/zod-openapi'
import { RICH_CONTENT, RICH_KINDS } from '../../shared/rich-messages.ts'
import type { RichKind } from '../../shared/rich-messages.ts'
import { requireScope, requireSession } from '../auth/scopes.ts'
import type { RouteGroupApp } from '../env/gateway-env.ts'
import { idempotencyOf } from '../http/idempotency.ts'
import { envelope, errorResponses, json, jsonRequest, Recipient, SentMessage, SessionIdParam } from '../http/schemas.ts'
import { MESSAGE_ROUTES } from '../../shared/host-api/messages.ts'

const SUMMARIES: Record<RichKind, [string, string?]> = {
  location: ['Send a location pin'],
  button: ['Send a message with up to three reply buttons', 'Some WhatsApp clients show buttons poorly or not at all; see the README.'],
  list: ['Send a list message (sections of rows behind a button)', 'Some WhatsApp clients show lists poorly or not at all; see the README.'],
  contact: ['Send one or more contact cards (vCard)'],
  reaction: ['React to a message with an emoji (an empty emoji removes the reaction)'],
  poll: ['Send a poll']
}

const bodyOf = (kind: RichKind) => RICH_CONTENT[kind].safeExtend({ to: Recipient })

const routeOf = (kind: RichKind) =>
  createRoute({
    method: 'post',
    path: `/api/messages/{sessionId}/${kind}`,
    tags: ['Messages'],
    summary: SUMMARIES[kind][0],
    ...(SUMMARIES[kind][1] ? { description: SUMMARIES[kind][1] } : {}),
    security: [{ bearerAuth: [] }],
    request: { params: z.object({ sessionId: SessionIdParam }), body: jsonRequest(bodyOf(kind)) },
    responses: { 200: json(envelope(SentMessage), 'Sent'), ...errorResponses(404, 422) }
  })

/** Location, buttons, list, contact cards, reaction and poll: JSON in, one WhatsApp message out. */
export const registerRichMessages = (app: RouteGroupApp) => {
  for (const kind of RICH_KINDS) {
    app.openapi(routeOf(kind), async c => {
      const { sessionId } = c.req.valid('param')
      requireScope(c.var.principal, 'messages:send')
      requireSession(c.var.principal, sessionId)
      const { to, ...content } = c.req.valid('json') as { to: string } & Record<string, unknown>
      const { deps } = c.var
      const phone = deps.phone(to)
      // Numbers inside contact cards are normalised like recipients, so the card's WhatsApp link works.
      if (kind === 'contact') {
        const cards = content.contacts as { phoneNumber: string }[]
        content.contacts = cards.map((card, i) => ({ ...card, phoneNumber: deps.phone(card.phoneNumber, `contacts.${i}.phoneNumber`).e164 }))
      }
      const idempotency = await idempotencyOf(c, c.req.valid('json'))
      const sent = await deps.host.call(MESSAGE_ROUTES.sendRich, { sessionId, kind }, { ...content, jid: phone.jid, ...(idempotency ? { idempotency } : {}) })
      return c.json({ success: true as const, message: 'Message sent', data: { ...sent, to: phone.e164 } }, 200)
    })
  }
  return app
}
