import { EventEmitter } from 'node:events'
import { proto } from '@whiskeysockets/baileys'
import type { BinaryNode } from '@whiskeysockets/baileys'
import { AwaitedReplies } from './awaited-replies.ts'
import type { Connection } from './connection.ts'
import { Directory } from './directory.ts'
import type { Account, Contact, DirectorySnapshot, LinkedDevice } from './directory.ts'
import { SimFaults } from './faults.ts'
import { LinkCodeRequests } from './link-code-requests.ts'
import { decryptOutgoing, encryptForDevice } from './message-crypto.ts'
import type { DecryptedCopy } from './message-crypto.ts'
import type { MediaHost } from './media-host.ts'
import { defaultAcceptedDisplays } from './pairing-code.ts'
import type { AcceptedDisplays } from './pairing-code.ts'
import { PhoneLinking } from './phone-linking.ts'
import type { LinkedDeviceView } from './phone-linking.ts'
import type { ReachoutTimelock } from './reachout-timelock.ts'
import { statusStanza } from './server-2026-stanzas.ts'
import { SimServer } from './sim-server.ts'
import { isLate2026, silentLogger } from './sim-options.ts'
import type { SimLogger, WaSimOptions } from './sim-options.ts'
import { newMessageId, now } from './stanza-attrs.ts'
import type { LinkOutcome, LinkResult } from './link-outcome.ts'

export { LinkRefusedError } from './link-outcome.ts'
export type { LinkOutcome, LinkResult } from './link-outcome.ts'
export type { LinkedDeviceView } from './phone-linking.ts'
export type { ServerGeneration, SimLogger, WaSimOptions } from './sim-options.ts'

/** A message a linked device sent, with every copy the simulated recipients decrypted. */
export type SentMessage = {
  id: string
  accountPn: string
  deviceId: number
  to: string
  node: BinaryNode
  decrypted: DecryptedCopy[]
  failures: { jid: string; error: string }[]
  /** The error code the server's ack carried when it refused the message. */
  refusedWith?: string
  /** A resend of a message id the recipient already has: its phone shows it once. */
  duplicate?: boolean
  /** The server never acknowledged it (a sandbox number ending in 0408): nobody received it. */
  unacked?: boolean
}

/** The ack error for a message to a number that has no WhatsApp account (the emulator's choice). */
export const NOT_ON_WHATSAPP_ACK_ERROR = '404'


export type InjectOptions = {
  /** `lid`: the stanza comes from the contact's LID with `sender_pn`, as WhatsApp sends most chats now. */
  addressing?: 'pn' | 'lid'
  id?: string
  timestamp?: number
}

/**
 * A WhatsApp Web server on loopback that the unmodified Baileys client links to, sends through
 * and receives from. It plays the servers, each account's phone and every contact.
 */
export class WaSim extends EventEmitter {
  readonly directory: Directory
  /** Everything linked devices sent, in order. */
  readonly sent: SentMessage[] = []
  /**
   * The `Browser (OS)` pairing displays the late-2026 server accepts; a test may narrow them to
   * play a server that tightened its rules.
   */
  readonly acceptedDisplays: AcceptedDisplays = defaultAcceptedDisplays()
  private readonly logger: SimLogger
  private readonly replies: AwaitedReplies
  private readonly server: SimServer
  private readonly faults: SimFaults
  private readonly linkCodes: LinkCodeRequests
  private readonly linking: PhoneLinking
  private readonly receiptTimers = new Set<NodeJS.Timeout>()

  constructor(private readonly options: WaSimOptions = {}) {
    super()
    this.logger = options.logger ?? silentLogger
    this.directory = new Directory({ autoContacts: options.autoContacts ?? false, magicNumbers: options.magicNumbers ?? false, onChange: () => this.emit('state-changed') })
    if (options.state) this.directory.restore(options.state)
    const deps = { options, logger: this.logger, directory: this.directory, events: this }
    this.replies = new AwaitedReplies(deps)
    this.server = new SimServer({ ...deps, replies: this.replies }, {
      refusesConnections: () => this.faults.refusesConnections,
      ignores: connection => this.faults.ignores(connection),
      takeIqRefusal: key => this.faults.takeIqRefusal(key),
      reachoutTimelock: pn => this.faults.reachoutTimelock(pn),
      onLinkCode: (connection, iq, refusal) => this.linkCodes.onIq(connection, iq, refusal),
      onMessage: (connection, stanza) => this.onMessage(connection, stanza),
      onActive: async device => {
        if (this.options.endInitialSync ?? true) await this.sendFromPhone(device.account.pn, HISTORY_SYNC_DONE, device)
      },
      onClose: connection => {
        this.faults.forget(connection)
        this.linkCodes.forget(connection)
      }
    })
    this.faults = new SimFaults({ directory: this.directory, events: this, server: this.server })
    this.linkCodes = new LinkCodeRequests({ ...deps, acceptedDisplays: this.acceptedDisplays })
    this.linking = new PhoneLinking({ ...deps, server: this.server, replies: this.replies, linkCodes: this.linkCodes })
  }

  /** Whether it answers as today's server (the default) rather than the spring-2026 one. */
  get late2026(): boolean {
    return isLate2026(this.options)
  }

  /** The public half of the certificate root; a client that verifies the chain must trust it. */
  get certRoot(): Buffer {
    return this.server.certRoot
  }

  /** The media host, when the emulator was started with `media: true`. */
  get media(): MediaHost {
    return this.server.media
  }

  /** Listens on 127.0.0.1 and resolves with the `waWebSocketUrl` for Baileys. */
  start(): Promise<string> {
    return this.server.start()
  }

  async stop(): Promise<void> {
    this.replies.stop()
    for (const timer of this.receiptTimers) clearTimeout(timer)
    this.receiptTimers.clear()
    await this.server.stop()
  }

  /** `passkeyRequired`: the account must pass a passkey step to link a device (late-2026). */
  addAccount(pn: string, options?: { lid?: string; pushName?: string; passkeyRequired?: boolean }): Account {
    return this.directory.addAccount(pn, options)
  }

  addContact(pn: string, options?: { lid?: string; pushName?: string; onWhatsApp?: boolean }): Contact {
    return this.directory.addContact(pn, options)
  }

  /** Makes a number one that WhatsApp does not know. */
  setNotOnWhatsApp(pn: string): Contact {
    return this.directory.addContact(pn, { onWhatsApp: false })
  }

  /**
   * Plays the account's phone scanning a linking QR code shown by a registering client. On the
   * late-2026 server the first scan of a registration does not link: the server sends
   * `companion_reg_refresh`, retires the ADV secret the QR carried, and the phone must scan the
   * refreshed QR (`refresh-requested`); a QR that still carries a retired secret is refused.
   */
  scanQr(qr: string, options: { accountPn?: string } = {}): Promise<LinkOutcome> {
    return this.linking.scanQr(qr, options)
  }

  /**
   * Plays the user linking with the QR a client shows: scans it, and each time the server asks
   * the client to refresh it, waits for the refreshed QR (`currentQr` returns what is shown now)
   * and scans again. A passkey request ends it with an error, as nothing can answer it.
   */
  linkWithQr(currentQr: () => string | undefined | Promise<string | undefined>, options: { accountPn?: string; timeoutMs?: number } = {}): Promise<LinkResult> {
    return this.linking.linkWithQr(currentQr, options)
  }

  /**
   * Plays the user typing the pairing code that `requestPairingCode` showed into the phone of
   * the number it was requested for. A wrong code fails here, as it does on a phone. On the
   * late-2026 server, opening Linked devices first sends the companion frames that are not a
   * primary hello; a companion that answers one with `companion_finish` loses the request.
   */
  enterPairingCode(phoneNumber: string, typedCode: string): Promise<LinkOutcome> {
    return this.linking.enterPairingCode(phoneNumber, typedCode)
  }

  /** Who exists and which devices are linked, to hand a later emulator as `state`. */
  snapshot(): DirectorySnapshot {
    return this.directory.snapshot()
  }

  /** What the account's phone shows under Linked devices. */
  linkedDevices(accountPn: string): LinkedDeviceView[] {
    return this.linking.linkedDevices(accountPn)
  }

  /**
   * A contact posts a status update that reaches the account's linked devices as a top-level
   * `<status>` stanza (late-2026). Until a device acks it, it is redelivered at each login, and
   * once it has waited `statusAckBudgetMs` on a stream the server recycles that stream.
   */
  async postStatus(fromPn: string, accountPn: string, text: string): Promise<string> {
    if (!this.late2026) throw new Error('status updates arrive as top-level <status> stanzas only on the late-2026 server')
    const contact = this.directory.contact(fromPn) ?? this.directory.addContact(fromPn)
    const account = this.directory.requireAccount(accountPn)
    const id = newMessageId()
    for (const device of account.devices.values()) {
      const { type, ciphertext } = await encryptForDevice(contact.peer, device, { extendedTextMessage: { text } })
      const stanza = statusStanza({ id, participant: `${contact.pn}@s.whatsapp.net`, pushName: contact.pushName, encType: type, ciphertext })
      device.pendingStatuses.set(id, stanza)
      const [connection] = this.server.liveConnections(account.pn, device.id)
      if (connection) this.replies.sendStatus(connection, stanza)
    }
    return id
  }

  /** Delivers a message from a contact (or anyone) to every device linked to an account. */
  async injectMessage(fromPn: string, accountPn: string, message: proto.IMessage, options: InjectOptions = {}): Promise<string> {
    const contact = this.directory.contact(fromPn) ?? this.directory.addContact(fromPn)
    const account = this.directory.requireAccount(accountPn)
    const id = options.id ?? newMessageId()
    const addressing: Record<string, string> =
      options.addressing === 'lid'
        ? { from: `${contact.lid}@lid`, sender_pn: `${contact.pn}@s.whatsapp.net`, addressing_mode: 'lid' }
        : { from: `${contact.pn}@s.whatsapp.net`, sender_lid: `${contact.lid}@lid` }
    for (const device of account.devices.values()) {
      const { type, ciphertext } = await encryptForDevice(contact.peer, device, message)
      this.server.deliver(device, {
        tag: 'message',
        attrs: { ...addressing, id, t: `${options.timestamp ?? now()}`, type: mediaTypeOf(message) ? 'media' : 'text', notify: contact.pushName },
        content: [{ tag: 'enc', attrs: { v: '2', type, ...(mediaTypeOf(message) ? { mediatype: mediaTypeOf(message)! } : {}) }, content: ciphertext }]
      })
    }
    return id
  }

  /** Hosts an attachment the way WhatsApp's media servers do, and delivers it as a message. */
  async injectMedia(
    fromPn: string,
    accountPn: string,
    kind: 'image' | 'video' | 'audio' | 'document',
    bytes: Uint8Array,
    fields: { caption?: string; fileName?: string; mimetype?: string; ptt?: boolean } = {},
    options?: InjectOptions
  ): Promise<string> {
    const hosted = await this.media.hostInbound(bytes, kind, fields.mimetype ? { mimetype: fields.mimetype } : {})
    const media = { ...hosted, ...fields, mimetype: fields.mimetype ?? hosted.mimetype }
    const message: proto.IMessage =
      kind === 'image' ? { imageMessage: media }
      : kind === 'video' ? { videoMessage: media }
      : kind === 'audio' ? { audioMessage: media }
      : { documentMessage: media }
    return this.injectMessage(fromPn, accountPn, message, options)
  }

  injectText(fromPn: string, accountPn: string, text: string, options?: InjectOptions): Promise<string> {
    return this.injectMessage(fromPn, accountPn, { conversation: text }, options)
  }

  /** A message from the account's own phone to its linked devices (protocol and peer messages). */
  async sendFromPhone(accountPn: string, message: proto.IMessage, only?: LinkedDevice): Promise<void> {
    const account = this.directory.requireAccount(accountPn)
    for (const device of only ? [only] : account.devices.values()) {
      const { type, ciphertext } = await encryptForDevice(account.phone, device, message)
      this.server.deliver(device, {
        tag: 'message',
        attrs: { from: `${account.pn}@s.whatsapp.net`, id: newMessageId(), t: now(), type: 'text', category: 'peer' },
        content: [{ tag: 'enc', attrs: { v: '2', type }, content: ciphertext }]
      })
    }
  }

  /** The recipient's phone reports delivery, then (optionally) that the user read it. */
  sendReceipt(sent: SentMessage, type: 'delivery' | 'read' = 'delivery'): void {
    const attrs: Record<string, string> = { id: sent.id, from: sent.to, t: now() }
    if (type === 'read') attrs.type = 'read'
    for (const connection of this.server.liveConnections(sent.accountPn, sent.deviceId)) void connection.sendNode({ tag: 'receipt', attrs })
  }

  /** Resolves with the next message a linked device sends that matches. */
  waitForSent(match: (sent: SentMessage) => boolean = () => true, timeoutMs = 10_000): Promise<SentMessage> {
    const already = this.sent.find(match)
    if (already) return Promise.resolve(already)
    return new Promise((resolve, reject) => {
      const onSent = (sent: SentMessage) => {
        if (!match(sent)) return
        clearTimeout(timer)
        this.off('message-sent', onSent)
        resolve(sent)
      }
      const timer = setTimeout(() => {
        this.off('message-sent', onSent)
        reject(new Error('no matching message was sent'))
      }, timeoutMs)
      this.on('message-sent', onSent)
    })
  }

  // ---- faults --------------------------------------------------------------------------------

  /**
   * An outage: every socket is cut and reconnects are refused until `outage(false)`, so sessions
   * stay away (and their sends queue up) for as long as a test needs.
   */
  outage(down: boolean): void {
    this.faults.outage(down)
  }

  /** Cuts every socket, as a network failure would. */
  dropAll(): void {
    this.faults.dropAll()
  }

  drop(accountPn: string): void {
    this.faults.drop(accountPn)
  }

  /** The phone unlinks the devices: live ones get a 401 stream error, later logins fail with 401. */
  logout(accountPn: string, deviceId?: number): void {
    this.faults.logout(accountPn, deviceId)
  }

  /** Another client took over the session: WhatsApp sends a `conflict` stream error (440). */
  replaceSession(accountPn: string): void {
    this.faults.replaceSession(accountPn)
  }

  /** The next query whose `xmlns/type/child` key starts with `keyPrefix` gets an error answer. */
  refuseNextIq(keyPrefix: string, code = 500, text = 'internal-server-error'): void {
    this.faults.refuseNextIq(keyPrefix, code, text)
  }

  /**
   * Refuses messages to a number with an error ack, as WhatsApp does with 463 when an account
   * may not start new chats (the reach-out time-lock). `undefined` lifts the refusal.
   */
  refuseMessagesTo(pn: string, code: string | undefined = '463'): void {
    this.faults.refuseMessagesTo(pn, code)
  }

  /**
   * Puts an account under WhatsApp's reach-out time-lock until `until` (or lifts it with
   * `undefined`): the time-lock query answers with it from now on, and unless `push` is false its
   * linked devices get the `mex` notification at once (or at their next login).
   */
  setReachoutTimelock(accountPn: string, lock: ReachoutTimelock | undefined, { push = true }: { push?: boolean } = {}): void {
    this.faults.setReachoutTimelock(accountPn, lock, push)
  }

  /** Stops answering an account's sockets (pings included) without closing them. */
  mute(accountPn: string): void {
    this.faults.mute(accountPn)
  }

  // ---- connection handling -------------------------------------------------------------------





  private async onMessage(connection: Connection, stanza: BinaryNode): Promise<void> {
    const device = connection.device
    const id = stanza.attrs.id ?? ''
    const to = stanza.attrs.to ?? ''
    if (!device) return
    const magic = this.magicOf(to)
    if (magic === '0408') {
      // Never acknowledged: the message goes nowhere, and the client waits for an ack in vain.
      const sent: SentMessage = { id, accountPn: device.account.pn, deviceId: device.id, to, node: stanza, decrypted: [], failures: [], unacked: true }
      this.record(sent)
      return
    }
    const refusedWith = this.refusalFor(to)
    await connection.sendNode({ tag: 'ack', attrs: { class: 'message', id, from: to, t: now(), ...(refusedWith ? { error: refusedWith } : {}) } })
    // A refused message reaches nobody, so nobody decrypts it.
    const { decrypted, failures } = refusedWith ? { decrypted: [], failures: [] } : await decryptOutgoing(stanza, device, this.directory)
    for (const failure of failures) this.logger.warn({ id, ...failure }, 'sim could not decrypt a copy')
    // A phone keeps one copy per sender and message id, as WhatsApp clients do with a resend.
    const duplicate = !refusedWith && this.sent.some(m => m.id === id && m.accountPn === device.account.pn && !m.refusedWith)
    const sent: SentMessage = { id, accountPn: device.account.pn, deviceId: device.id, to, node: stanza, decrypted, failures, ...(refusedWith ? { refusedWith } : {}), ...(duplicate ? { duplicate } : {}) }
    this.record(sent)
    const receipts = this.options.autoReceipts
    if (receipts && !refusedWith && !duplicate && this.directory.resolve(to)?.kind === 'contact') {
      this.later(receipts.deliveredAfterMs, () => this.sendReceipt(sent, 'delivery'))
      if (magic !== '0001') this.later(receipts.readAfterMs, () => this.sendReceipt(sent, 'read'))
    }
  }

  /** Keeps what a device sent (the latest `sentLimit` of it) and tells listeners. */
  private record(sent: SentMessage): void {
    this.sent.push(sent)
    const limit = this.options.sentLimit
    if (limit !== undefined && this.sent.length > limit) this.sent.splice(0, this.sent.length - limit)
    this.emit('message-sent', sent)
  }

  private later(delayMs: number, run: () => void): void {
    const timer = setTimeout(() => {
      this.receiptTimers.delete(timer)
      run()
    }, delayMs)
    this.receiptTimers.add(timer)
  }

  /** The last four digits of a sandbox test number, when magic numbers are on and it is one. */
  private magicOf(to: string): '0463' | '0408' | '0001' | undefined {
    if (!this.options.magicNumbers) return undefined
    const peer = this.directory.resolve(to)
    if (peer?.kind !== 'contact') return undefined
    const last = peer.contact.pn.slice(-4)
    return last === '0463' || last === '0408' || last === '0001' ? last : undefined
  }

  private refusalFor(to: string): string | undefined {
    const peer = this.directory.resolve(to)
    if (peer?.kind === 'account') return undefined
    if (!peer || !peer.contact.onWhatsApp) return NOT_ON_WHATSAPP_ACK_ERROR
    return this.faults.sendRefusal(peer.contact.pn) ?? (this.magicOf(to) === '0463' ? '463' : undefined)
  }


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

