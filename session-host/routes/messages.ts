import { Hono } from 'hono'
import { z } from 'zod'
import { ok } from '../../shared/errors.ts'
import { jsonBody } from './json-body.ts'
import type { RecipientCheck } from '../messages/recipient-check.ts'
import type { SessionManager } from '../sessions/session-manager.ts'

const SendText = z.object({
  /** A normalised WhatsApp JID: the gateway turned the caller's number into it. */
  jid: z.string().regex(/^\d{5,20}@s\.whatsapp\.net$/),
  text: z.string().min(1).max(65_536)
})

export const messageRoutes = (sessions: SessionManager, recipients?: RecipientCheck) =>
  new Hono().post('/:id/messages/text', async c => {
    const sessionId = c.req.param('id')
    const { jid, text } = await jsonBody(c, SendText)
    const socket = sessions.socket(sessionId)
    await recipients?.require(sessionId, socket, jid)
    const sent = await socket.sendMessage(jid, { text })
    return c.json(ok('Message sent', { sessionId, to: jid, messageId: sent?.key.id, status: 'sent', timestamp: new Date().toISOString() }))
  })
