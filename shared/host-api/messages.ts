import { z } from '../zod.ts'
import { UserJid } from '../ids.ts'
import { MESSAGE_STATUSES } from '../statuses.ts'
import { hostRoute } from './host-route.ts'
import { ListQuery, page } from './list-page.ts'

/** The caller's Idempotency-Key and a digest of its request, computed by the gateway. */
export const Idempotency = z.object({ key: z.string().min(1).max(255), hash: z.string().min(16).max(128) }).optional()

/** POST /internal/sessions/:id/messages/text */
export const SendTextRequest = z.object({ jid: UserJid, text: z.string().min(1).max(65_536), idempotency: Idempotency })

const instant = z.string().nullable()

/** What the host answers about a message: never its content. */
export const MessageView = z.object({
  sessionId: z.string(),
  messageId: z.string(),
  to: z.string(),
  kind: z.string(),
  status: z.enum(MESSAGE_STATUSES),
  error: z.string().nullable(),
  otpId: z.string().nullable(),
  timestamp: z.string(),
  sentAt: instant,
  deliveredAt: instant,
  readAt: instant,
  failedAt: instant
})
export type MessageView = z.infer<typeof MessageView>

/** A send's answer: the message, and whether a repeated Idempotency-Key replayed the first. */
export const SendAnswer = MessageView.extend({ replayed: z.boolean() })
export type SendAnswer = z.infer<typeof SendAnswer>

/** The message's progress, for the OTP it carries. */
export const MessageDelivery = MessageView.pick({ status: true, error: true, sentAt: true, deliveredAt: true, readAt: true, failedAt: true })
export type MessageDelivery = z.infer<typeof MessageDelivery>

/** GET /internal/sessions/:id/numbers/:digits */
export const NumberCheckAnswer = z.object({ onWhatsApp: z.boolean() })

/** What a media message may carry besides the file. */
export const MediaFields = z.object({
  caption: z.string().max(4096).optional(),
  fileName: z.string().min(1).max(255).optional(),
  mimetype: z.string().min(3).max(128).optional(),
  ptt: z.boolean().optional()
})

/** POST /internal/sessions/:id/messages/:kind: a file the host fetches from a URL. */
export const SendMediaByUrlRequest = MediaFields.extend({ jid: UserJid, url: z.string().min(1).max(2048), idempotency: Idempotency })

/** A message in a list: the view with its creation time under the name the lists sort by. */
export const MessageListItem = MessageView.extend({ createdAt: z.string() })
export type MessageListItem = z.infer<typeof MessageListItem>

/** GET /internal/messages: a page of messages, newest first. */
export const MessageListQuery = ListQuery.extend({ status: z.enum(MESSAGE_STATUSES).optional() })

/** The message routes of the host's internal API (rich kinds take shared/rich-messages.ts's bodies). */
export const MESSAGE_ROUTES = {
  sendText: hostRoute({ method: 'POST', pattern: '/internal/sessions/:sessionId/messages/text', body: SendTextRequest, answer: SendAnswer }),
  get: hostRoute({ method: 'GET', pattern: '/internal/sessions/:sessionId/messages/:messageId', body: undefined, answer: MessageView }),
  sendRich: hostRoute({ method: 'POST', pattern: '/internal/sessions/:sessionId/messages/:kind', body: undefined, answer: SendAnswer }),
  sendMediaByUrl: hostRoute({ method: 'POST', pattern: '/internal/sessions/:sessionId/messages/:kind', body: SendMediaByUrlRequest, answer: SendAnswer }),
  /** A multipart upload, passed through as a stream (signed without a body digest); the query carries country and Idempotency-Key. */
  uploadMedia: hostRoute({ method: 'POST', pattern: '/internal/sessions/:sessionId/messages/:kind/upload', body: undefined, answer: SendAnswer }),
  list: hostRoute({ method: 'GET', pattern: '/internal/messages', body: undefined, answer: page(MessageListItem) }),
  checkNumber: hostRoute({ method: 'GET', pattern: '/internal/sessions/:sessionId/numbers/:digits', body: undefined, answer: NumberCheckAnswer })
}
