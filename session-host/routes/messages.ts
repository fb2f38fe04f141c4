import { Hono } from 'hono'
import { ok } from '../../shared/errors.ts'
import { MessageId } from '../../shared/ids.ts'
import { MESSAGE_ROUTES as ROUTES, SendTextRequest } from '../../shared/host-api/messages.ts'
import { jsonBody } from '../../shared/json-body.ts'
import { checkRecipient } from '../messages/recipient-check.ts'
import type { RecipientCheck } from '../messages/recipient-check.ts'
import { acceptSend } from '../outbox/accept-send.ts'
import type { AcceptDeps } from '../outbox/accept-send.ts'

export const messageRoutes = (deps: AcceptDeps & { recipients?: RecipientCheck }) =>
  new Hono()
    .post(ROUTES.sendText.pattern, async c => {
      const sessionId = c.req.param('sessionId')
      const { jid, text, idempotency } = await jsonBody(c, SendTextRequest)
      await checkRecipient(deps, sessionId, jid)
      const sent = await acceptSend(deps, { sessionId, jid, kind: 'text', outgoing: { content: { text } }, ...(idempotency ? { idempotency } : {}) })
      return c.json(ok(sent.replayed ? 'Message already accepted (Idempotency-Key)' : 'Message accepted', sent))
    })
    .get(ROUTES.get.pattern, async c => c.json(ok('Message', await deps.queue.view(c.req.param('sessionId'), MessageId.parse(c.req.param('messageId'))))))
