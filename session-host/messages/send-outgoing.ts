import { generateWAMessageFromContent } from '@whiskeysockets/baileys'
import type { WASocket } from '@whiskeysockets/baileys'
import type { Outgoing } from './rich-content.ts'

/** Sends Baileys content or a raw proto message under the WhatsApp message id the queue chose. */
export const sendOutgoing = async (socket: WASocket, jid: string, outgoing: Outgoing, messageId: string): Promise<void> => {
  if ('content' in outgoing) {
    await socket.sendMessage(jid, outgoing.content, { messageId })
    return
  }
  const message = generateWAMessageFromContent(jid, outgoing.raw, { userJid: socket.user?.id ?? '', messageId })
  await socket.relayMessage(jid, message.message!, { messageId })
}
