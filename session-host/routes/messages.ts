import { Hono } from 'hono'
import { z } from 'zod'
import { ok } from '../../shared/errors.ts'
import { jsonBody } from './json-body.ts'
import { acceptSend } from '../messages/accept-send.ts'
import type { AcceptDeps } from '../messages/accept-send.ts'
import type { RecipientCheck } from '../messages/recipient-check.ts'

/** A normalised WhatsApp JID: the gateway turned the caller's number into it. */
export const Jid = z.string().regex(/^\d{5,20}@s\.whatsapp\.net$/)

/** The caller's Idempotency-Key and a digest of its request, computed by the gateway. */
export const Idempotency = z.object({ key: z.string().min(1).max(255), hash: z.string().min(16).max(128) }).optional()

const SendText = z.object({ jid: Jid, text: z.string().min(1).max(65_536), idempotency: Idempotency })

/** Checks the number while the session is connected; a reconnecting session queues unchecked. */
export const checkRecipient = async (deps: AcceptDeps & { recipients?: RecipientCheck }, sessionId: string, jid: string) => {
  const socket = deps.sessions.connectedSocket(sessionId)
  if (socket) await deps.recipients?.require(sessionId, socket, jid)
}

export const messageRoutes = (deps: AcceptDeps & { recipients?: RecipientCheck }) =>
  new Hono()
    .post('/:id/messages/text', async c => {
      const sessionId = c.req.param('id')
      const { jid, text, idempotency } = await jsonBody(c, SendText)
      await checkRecipient(deps, sessionId, jid)
      const sent = await acceptSend(deps, { sessionId, jid, kind: 'text', outgoing: { content: { text } }, ...(idempotency ? { idempotency } : {}) })
      return c.json(ok(sent.replayed ? 'Message already accepted (Idempotency-Key)' : 'Message accepted', sent))
    })
    .get('/:id/messages/:messageId', c => c.json(ok('Message', deps.queue.view(c.req.param('id'), z.string().regex(/^[A-Za-z0-9]{8,64}$/).parse(c.req.param('messageId'))))))
