import { generateWAMessageFromContent } from '@whiskeysockets/baileys'
import type { WASocket } from '@whiskeysockets/baileys'
import type { Outgoing } from './rich-content.ts'

/** Sends Baileys content or a raw proto message and gives the WhatsApp message id. */
export const sendOutgoing = async (socket: WASocket, jid: string, outgoing: Outgoing): Promise<string | undefined> => {
  if ('content' in outgoing) return (await socket.sendMessage(jid, outgoing.content))?.key.id ?? undefined
  const message = generateWAMessageFromContent(jid, outgoing.raw, { userJid: socket.user?.id ?? '' })
  await socket.relayMessage(jid, message.message!, { messageId: message.key.id! })
  return message.key.id ?? undefined
}

export const sentView = (sessionId: string, jid: string, messageId: string | undefined) => ({
  sessionId,
  to: jid,
  messageId,
  status: 'sent',
  timestamp: new Date().toISOString()
})
