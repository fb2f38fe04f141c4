import type { WAMessage, WAMessageKey } from '@whiskeysockets/baileys'
import { lidUserOf, phoneUserOf } from '../sessions/jid-users.ts'

type MediaKind = 'image' | 'video' | 'audio' | 'document' | 'sticker'

const MEDIA_FIELDS: [MediaKind, 'imageMessage' | 'videoMessage' | 'audioMessage' | 'documentMessage' | 'stickerMessage'][] = [
  ['image', 'imageMessage'],
  ['video', 'videoMessage'],
  ['audio', 'audioMessage'],
  ['document', 'documentMessage'],
  ['sticker', 'stickerMessage']
]

/**
 * Who sent a message, as its key tells: the number and the LID (user parts) of the sender (the
 * chat, or a group's participant), each when the key carries it. WhatsApp addresses most chats
 * by LID now, with the number as the alternative JID, or without it.
 */
export const senderOf = (key: WAMessageKey): { phone?: string; lid?: string } => {
  const [primary, alt] = key.participant ? [key.participant, key.participantAlt] : [key.remoteJid, key.remoteJidAlt]
  const phone = phoneUserOf(primary) ?? phoneUserOf(alt)
  const lid = lidUserOf(primary) ?? lidUserOf(alt)
  return { ...(phone ? { phone } : {}), ...(lid ? { lid } : {}) }
}

/**
 * The `message.received` data for an inbound message: who sent it and its text, or its media's
 * metadata (the media itself is not downloaded). Undefined for our own messages and for what is
 * not a user message (protocol messages, reactions, receipts). `knownPhone` is the number the
 * session learnt for the sender's LID, for a message that came by LID alone.
 */
export const describeInboundMessage = (message: WAMessage, knownPhone?: string): Record<string, unknown> | undefined => {
  const { key } = message
  if (key.fromMe || !key.id || !key.remoteJid || !message.message) return undefined
  const content = message.message.ephemeralMessage?.message ?? message.message
  const sender = senderOf(key)
  const base = {
    messageId: key.id,
    from: sender.phone ?? knownPhone ?? null,
    fromLid: sender.lid ?? null,
    fromJid: key.remoteJid,
    pushName: message.pushName ?? null,
    timestamp: message.messageTimestamp ? new Date(Number(message.messageTimestamp) * 1000).toISOString() : null
  }
  const text = content.conversation ?? content.extendedTextMessage?.text
  if (text) return { ...base, type: 'text', text }
  for (const [type, field] of MEDIA_FIELDS) {
    const media = content[field]
    if (!media) continue
    return {
      ...base,
      type,
      media: {
        mimetype: media.mimetype ?? null,
        fileName: 'fileName' in media ? (media.fileName ?? null) : null,
        size: media.fileLength === null || media.fileLength === undefined ? null : Number(media.fileLength),
        caption: 'caption' in media ? (media.caption ?? null) : null
      }
    }
  }
  return undefined
}
