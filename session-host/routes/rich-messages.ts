import { Hono } from 'hono'
import { z } from 'zod'
import { ok } from '../../shared/errors.ts'
import { RICH_CONTENT } from '../../shared/rich-messages.ts'
import type { RichKind } from '../../shared/rich-messages.ts'
import type { RecipientCheck } from '../messages/recipient-check.ts'
import { buttonsMessage, contactsMessage, listMessage, locationMessage, pollMessage, reactionMessage } from '../messages/rich-content.ts'
import type { Outgoing } from '../messages/rich-content.ts'
import { sendOutgoing, sentView } from '../messages/send-outgoing.ts'
import type { SessionManager } from '../sessions/session-manager.ts'
import { jsonBody } from './json-body.ts'

const Jid = z.string().regex(/^\d{5,20}@s\.whatsapp\.net$/)

const BUILD: { [K in RichKind]: (jid: string, input: z.infer<(typeof RICH_CONTENT)[K]>) => Outgoing } = {
  location: (_jid, input) => locationMessage(input),
  button: (_jid, input) => buttonsMessage(input),
  list: (_jid, input) => listMessage(input),
  contact: (_jid, input) => contactsMessage(input),
  reaction: (jid, input) => reactionMessage(jid, input),
  poll: (_jid, input) => pollMessage(input)
}

const route = <K extends RichKind>(app: Hono, kind: K, sessions: SessionManager, recipients: RecipientCheck) =>
  app.post(`/:id/messages/${kind}`, async c => {
    const sessionId = c.req.param('id') as string
    const { jid, ...input } = (await jsonBody(c, RICH_CONTENT[kind].safeExtend({ jid: Jid }))) as { jid: string }
    const socket = sessions.socket(sessionId)
    await recipients.require(sessionId, socket, jid)
    const messageId = await sendOutgoing(socket, jid, BUILD[kind](jid, input as z.infer<(typeof RICH_CONTENT)[K]>))
    return c.json(ok('Message sent', sentView(sessionId, jid, messageId)))
  })

/** Location, buttons, list, contact cards, reaction, poll; and whether a number is on WhatsApp. */
export const richMessageRoutes = (sessions: SessionManager, recipients: RecipientCheck) => {
  const app = new Hono()
  for (const kind of Object.keys(RICH_CONTENT) as RichKind[]) route(app, kind, sessions, recipients)
  app.get('/:id/numbers/:digits', async c => {
    const sessionId = c.req.param('id') as string
    const digits = z.string().regex(/^\d{5,20}$/).parse(c.req.param('digits'))
    const onWhatsApp = await recipients.isOnWhatsApp(sessionId, sessions.socket(sessionId), `${digits}@s.whatsapp.net`)
    return c.json(ok('Number checked', { onWhatsApp }))
  })
  return app
}
