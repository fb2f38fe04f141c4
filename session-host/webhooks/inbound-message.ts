import type { WAMessage } from '@whiskeysockets/baileys'

type MediaKind = 'image' | 'video' | 'audio' | 'document' | 'sticker'

const MEDIA_FIELDS: [MediaKind, 'imageMessage' | 'videoMessage' | 'audioMessage' | 'documentMessage' | 'stickerMessage'][] = [
  ['image', 'imageMessage'],
  ['video', 'videoMessage'],
  ['audio', 'audioMessage'],
  ['document', 'documentMessage'],
  ['sticker', 'stickerMessage']
]

const phoneOf = (jid: string | null | undefined): string | undefined => (jid?.endsWith('@s.whatsapp.net') ? jid.split('@')[0]?.split(':')[0] : undefined)

/**
 * The `message.received` data for an inbound message: who sent it and its text, or its media's
 * metadata (the media itself is not downloaded). Undefined for our own messages and for what is
 * not a user message (protocol messages, reactions, receipts).
 */
export const describeInboundMessage = (message: WAMessage): Record<string, unknown> | undefined => {
  const { key } = message
  if (key.fromMe || !key.id || !key.remoteJid || !message.message) return undefined
  const content = message.message.ephemeralMessage?.message ?? message.message
  // Chats addressed by LID carry the sender's phone number as the alternative JID.
  const from = phoneOf(key.remoteJid) ?? phoneOf(key.remoteJidAlt) ?? phoneOf(key.participantAlt)
  const base = {
    messageId: key.id,
    from: from ?? null,
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
