import { Hono } from 'hono'
import type { z } from 'zod'
import { ok } from '../../shared/errors.ts'
import { RICH_CONTENT } from '../../shared/rich-messages.ts'
import type { RichKind } from '../../shared/rich-messages.ts'
import { PhoneDigits, SessionId, UserJid } from '../../shared/ids.ts'
import { fillPattern } from '../../shared/host-api/host-route.ts'
import { Idempotency, MESSAGE_ROUTES } from '../../shared/host-api/messages.ts'
import { checkRecipient } from '../messages/recipient-check.ts'
import type { RecipientCheck } from '../messages/recipient-check.ts'
import { buttonsMessage, contactsMessage, listMessage, locationMessage, pollMessage, reactionMessage } from '../messages/rich-content.ts'
import type { Outgoing } from '../messages/rich-content.ts'
import { acceptSend } from '../outbox/accept-send.ts'
import type { AcceptDeps } from '../outbox/accept-send.ts'
import { jsonBody } from '../../shared/json-body.ts'

const BUILD: { [K in RichKind]: (jid: string, input: z.infer<(typeof RICH_CONTENT)[K]>) => Outgoing } = {
  location: (_jid, input) => locationMessage(input),
  button: (_jid, input) => buttonsMessage(input),
  list: (_jid, input) => listMessage(input),
  contact: (_jid, input) => contactsMessage(input),
  reaction: (jid, input) => reactionMessage(jid, input),
  poll: (_jid, input) => pollMessage(input)
}

const route = <K extends RichKind>(app: Hono, kind: K, deps: AcceptDeps & { recipients: RecipientCheck }) =>
  app.post(fillPattern(MESSAGE_ROUTES.sendRich.pattern, { kind }), async c => {
    const sessionId = SessionId.parse(c.req.param('sessionId'))
    const { jid, idempotency, ...input } = (await jsonBody(c, RICH_CONTENT[kind].safeExtend({ jid: UserJid, idempotency: Idempotency }))) as {
      jid: string
      idempotency?: { key: string; hash: string }
    }
    await checkRecipient(deps, sessionId, jid)
    const outgoing = BUILD[kind](jid, input as z.infer<(typeof RICH_CONTENT)[K]>)
    const sent = await acceptSend(deps, { sessionId, jid, kind, outgoing, ...(idempotency ? { idempotency } : {}) })
    return c.json(ok(sent.replayed ? 'Message already accepted (Idempotency-Key)' : 'Message accepted', sent))
  })

/** Location, buttons, list, contact cards, reaction, poll; and whether a number is on WhatsApp. */
export const richMessageRoutes = (deps: AcceptDeps & { recipients: RecipientCheck }) => {
  const { sessions, recipients } = deps
  const app = new Hono()
  for (const kind of Object.keys(RICH_CONTENT) as RichKind[]) route(app, kind, deps)
  app.get(MESSAGE_ROUTES.checkNumber.pattern, async c => {
    const sessionId = SessionId.parse(c.req.param('sessionId'))
    const digits = PhoneDigits.parse(c.req.param('digits'))
    const onWhatsApp = await recipients.isOnWhatsApp(sessionId, await sessions.socket(sessionId), `${digits}@s.whatsapp.net`)
    return c.json(ok('Number checked', { onWhatsApp }))
  })
  return app
}
