import { proto } from '@whiskeysockets/baileys'
import type { MessageStatus } from '../../shared/statuses.ts'
import type { SessionEvent } from './session-event.ts'

/** Baileys' status numbers (from acks and receipts) in our words; PENDING says nothing new. */
export const fromBaileysStatus = (status: number | null | undefined): MessageStatus | undefined => {
  switch (status) {
    case proto.WebMessageInfo.Status.ERROR:
      return 'failed'
    case proto.WebMessageInfo.Status.SERVER_ACK:
      return 'sent'
    case proto.WebMessageInfo.Status.DELIVERY_ACK:
      return 'delivered'
    case proto.WebMessageInfo.Status.READ:
    case proto.WebMessageInfo.Status.PLAYED:
      return 'read'
    default:
      return undefined
  }
}

/** Error codes WhatsApp puts on a refused message, as a reason users can act on. */
export const refusalReason = (code: string | undefined): string => {
  switch (code) {
    case '463':
      return 'whatsapp_refused_463: the account may not start new chats now (reach-out limit or missing privacy token)'
    case '479':
      return 'whatsapp_refused_479: the server rejected the message stanza'
    case undefined:
      return 'whatsapp_refused'
    default:
      return `whatsapp_refused_${code}`
  }
}

/** A receipt or refusal Baileys reported for a message we sent, as the session's event; none when it says nothing new. */
export const messageStatusEvent = (
  sessionId: string,
  messageId: string | null | undefined,
  baileysStatus: number | null | undefined,
  parameters: string[] | null | undefined
): SessionEvent | undefined => {
  const status = fromBaileysStatus(baileysStatus)
  if (!messageId || !status) return undefined
  const error = status === 'failed' ? parameters?.[0] : undefined
  return { type: 'message-status', sessionId, messageId, status, ...(error ? { error } : {}) }
}
