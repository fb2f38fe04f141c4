import { proto } from '@whiskeysockets/baileys'
import type { AwaitedReplies } from './awaited-replies.ts'
import type { Directory, LinkedDevice } from './directory.ts'
import { encryptForDevice } from './message-crypto.ts'
import { statusStanza } from './server-2026-stanzas.ts'
import { isLate2026 } from './sim-options.ts'
import type { WaSimOptions } from './sim-options.ts'
import type { SimServer } from './sim-server.ts'
import { newMessageId, now } from './stanza-attrs.ts'

export type InjectOptions = {
  /**
   * `pn` (default): from the contact's number with `sender_lid`; `lid`: from the contact's LID with
   * `sender_pn`, as WhatsApp sends most chats now; `lid-only`: from the LID without the number, as
   * operators see some arrive (the client knows the number only if it learnt it before).
   */
  addressing?: 'pn' | 'lid' | 'lid-only'
  id?: string
  timestamp?: number
}

/** Baileys skips FULL history syncs by default, so this ends its wait for the initial sync at once. */
const HISTORY_SYNC_DONE: proto.IMessage = {
  protocolMessage: {
    type: proto.Message.ProtocolMessage.Type.HISTORY_SYNC_NOTIFICATION,
    historySyncNotification: { syncType: proto.HistorySync.HistorySyncType.FULL, chunkOrder: 0, progress: 100 }
  }
}

const MEDIA_KEYS: [keyof proto.IMessage, string][] = [
  ['imageMessage', 'image'],
  ['videoMessage', 'video'],
  ['audioMessage', 'audio'],
  ['documentMessage', 'document'],
  ['stickerMessage', 'sticker']
]

const mediaTypeOf = (message: proto.IMessage): string | undefined => MEDIA_KEYS.find(([key]) => message[key])?.[1]

export type PhoneMessagesDeps = { options: WaSimOptions; directory: Directory; server: SimServer; replies: AwaitedReplies }

/**
 * What reaches linked devices from the phones (each described on `WaSim`): contacts' messages,
 * attachments and status updates, and the account's own phone's messages.
 */
export class PhoneMessages {
  constructor(private readonly deps: PhoneMessagesDeps) {}

  async postStatus(fromPn: string, accountPn: string, text: string): Promise<string> {
    if (!isLate2026(this.deps.options)) throw new Error('status updates arrive as top-level <status> stanzas only on the late-2026 server')
    const contact = this.deps.directory.contact(fromPn) ?? this.deps.directory.addContact(fromPn)
    const account = this.deps.directory.requireAccount(accountPn)
    const id = newMessageId()
    for (const device of account.devices.values()) {
      const { type, ciphertext } = await encryptForDevice(contact.peer, device, { extendedTextMessage: { text } })
      const stanza = statusStanza({ id, participant: `${contact.pn}@s.whatsapp.net`, pushName: contact.pushName, encType: type, ciphertext })
      device.pendingStatuses.set(id, stanza)
      const [connection] = this.deps.server.liveConnections(account.pn, device.id)
      if (connection) this.deps.replies.sendStatus(connection, stanza)
    }
    return id
  }

  async injectMessage(fromPn: string, accountPn: string, message: proto.IMessage, options: InjectOptions = {}): Promise<string> {
    const contact = this.deps.directory.contact(fromPn) ?? this.deps.directory.addContact(fromPn)
    const account = this.deps.directory.requireAccount(accountPn)
    const id = options.id ?? newMessageId()
    const addressing: Record<string, string> =
      options.addressing === 'lid'
        ? { from: `${contact.lid}@lid`, sender_pn: `${contact.pn}@s.whatsapp.net`, addressing_mode: 'lid' }
        : options.addressing === 'lid-only'
          ? { from: `${contact.lid}@lid`, addressing_mode: 'lid' }
          : { from: `${contact.pn}@s.whatsapp.net`, sender_lid: `${contact.lid}@lid` }
    for (const device of account.devices.values()) {
      const { type, ciphertext } = await encryptForDevice(contact.peer, device, message)
      this.deps.server.deliver(device, {
        tag: 'message',
        attrs: { ...addressing, id, t: `${options.timestamp ?? now()}`, type: mediaTypeOf(message) ? 'media' : 'text', notify: contact.pushName },
        content: [{ tag: 'enc', attrs: { v: '2', type, ...(mediaTypeOf(message) ? { mediatype: mediaTypeOf(message)! } : {}) }, content: ciphertext }]
      })
    }
    return id
  }

  async injectMedia(
    fromPn: string,
    accountPn: string,
    kind: 'image' | 'video' | 'audio' | 'document',
    bytes: Uint8Array,
    fields: { caption?: string; fileName?: string; mimetype?: string; ptt?: boolean } = {},
    options?: InjectOptions
  ): Promise<string> {
    const hosted = await this.deps.server.media.hostInbound(bytes, kind, fields.mimetype ? { mimetype: fields.mimetype } : {})
    const media = { ...hosted, ...fields, mimetype: fields.mimetype ?? hosted.mimetype }
    const message: proto.IMessage =
      kind === 'image'
        ? { imageMessage: media }
        : kind === 'video'
          ? { videoMessage: media }
          : kind === 'audio'
            ? { audioMessage: media }
            : { documentMessage: media }
    return this.injectMessage(fromPn, accountPn, message, options)
  }

  injectText(fromPn: string, accountPn: string, text: string, options?: InjectOptions): Promise<string> {
    return this.injectMessage(fromPn, accountPn, { conversation: text }, options)
  }

  async sendFromPhone(accountPn: string, message: proto.IMessage, only?: LinkedDevice): Promise<void> {
    const account = this.deps.directory.requireAccount(accountPn)
    for (const device of only ? [only] : account.devices.values()) {
      const { type, ciphertext } = await encryptForDevice(account.phone, device, message)
      this.deps.server.deliver(device, {
        tag: 'message',
        attrs: { from: `${account.pn}@s.whatsapp.net`, id: newMessageId(), t: now(), type: 'text', category: 'peer' },
        content: [{ tag: 'enc', attrs: { v: '2', type }, content: ciphertext }]
      })
    }
  }

  /** The device is ready for the phone's messages; the first ends Baileys' wait for a history sync. */
  async onActive(device: LinkedDevice): Promise<void> {
    if (this.deps.options.endInitialSync ?? true) await this.sendFromPhone(device.account.pn, HISTORY_SYNC_DONE, device)
  }
}
