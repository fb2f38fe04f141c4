import { EventEmitter } from 'node:events'
import type { proto } from '@whiskeysockets/baileys'
import { AwaitedReplies } from './awaited-replies.ts'
import { Directory } from './directory.ts'
import type { Account, Contact, DirectorySnapshot, LinkedDevice } from './directory.ts'
import { SimFaults } from './faults.ts'
import { LinkCodeRequests } from './link-code-requests.ts'
import type { LinkOutcome, LinkResult } from './link-outcome.ts'
import type { MediaHost } from './media-host.ts'
import { defaultAcceptedDisplays } from './pairing-code.ts'
import type { AcceptedDisplays } from './pairing-code.ts'
import { PhoneLinking } from './phone-linking.ts'
import type { LinkedDeviceView } from './phone-linking.ts'
import { PhoneMessages } from './phone-messages.ts'
import type { InjectOptions } from './phone-messages.ts'
import type { NewChatCap } from './message-capping.ts'
import type { ReachoutTimelock } from './reachout-timelock.ts'
import { SimRecipients } from './recipients.ts'
import type { SentMessage } from './recipients.ts'
import { isLate2026, silentLogger } from './sim-options.ts'
import type { WaSimOptions } from './sim-options.ts'
import { SimServer } from './sim-server.ts'

export { LinkRefusedError } from './link-outcome.ts'
export type { LinkOutcome, LinkResult } from './link-outcome.ts'
export type { LinkedDeviceView } from './phone-linking.ts'
export type { InjectOptions } from './phone-messages.ts'
export { NOT_ON_WHATSAPP_ACK_ERROR } from './recipients.ts'
export type { SentMessage } from './recipients.ts'
export type { ServerGeneration, SimLogger, WaSimOptions } from './sim-options.ts'

/**
 * A WhatsApp Web server on loopback that the unmodified Baileys client links to, sends through
 * and receives from. It plays the servers, each account's phone and every contact.
 */
export class WaSim extends EventEmitter {
  readonly directory: Directory
  /** Everything linked devices sent, in order. */
  readonly sent: SentMessage[]
  /** Every number a linked device asked about with a usync contact query, in order (JIDs). */
  readonly numberChecks: string[] = []
  /**
   * The `Browser (OS)` pairing displays the late-2026 server accepts; a test may narrow them to
   * play a server that tightened its rules.
   */
  readonly acceptedDisplays: AcceptedDisplays = defaultAcceptedDisplays()
  private readonly replies: AwaitedReplies
  private readonly server: SimServer
  private readonly faults: SimFaults
  private readonly linkCodes: LinkCodeRequests
  private readonly linking: PhoneLinking
  private readonly phones: PhoneMessages
  private readonly recipients: SimRecipients

  constructor(private readonly options: WaSimOptions = {}) {
    super()
    this.directory = new Directory({
      autoContacts: options.autoContacts ?? false,
      magicNumbers: options.magicNumbers ?? false,
      onChange: () => this.emit('state-changed')
    })
    if (options.state) this.directory.restore(options.state)
    const deps = { options, logger: options.logger ?? silentLogger, directory: this.directory, events: this }
    this.replies = new AwaitedReplies(deps)
    // The server comes first; its hooks reach the collaborators made after it (all need the server).
    this.server = new SimServer(
      { ...deps, replies: this.replies },
      {
        refusesConnections: () => this.faults.refusesConnections,
        ignores: connection => this.faults.ignores(connection),
        takeIqRefusal: key => this.faults.takeIqRefusal(key),
        reachoutTimelock: pn => this.faults.reachoutTimelock(pn),
        newChatCap: pn => this.faults.newChatCap(pn),
        onLinkCode: (connection, iq, refusal) => this.linkCodes.onIq(connection, iq, refusal),
        onMessage: (connection, stanza) => this.recipients.onMessage(connection, stanza),
        onActive: device => this.phones.onActive(device),
        onClose: connection => {
          this.faults.forget(connection)
          this.linkCodes.forget(connection)
        }
      }
    )
    this.faults = new SimFaults({ directory: this.directory, events: this, server: this.server })
    this.linkCodes = new LinkCodeRequests({ ...deps, acceptedDisplays: this.acceptedDisplays })
    this.linking = new PhoneLinking({ ...deps, server: this.server, replies: this.replies, linkCodes: this.linkCodes })
    this.phones = new PhoneMessages({ ...deps, server: this.server, replies: this.replies })
    this.recipients = new SimRecipients({ ...deps, server: this.server, faults: this.faults })
    this.sent = this.recipients.sent
    this.on('number-checked', (jid: string) => this.numberChecks.push(jid))
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
    this.recipients.stop()
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
  postStatus(fromPn: string, accountPn: string, text: string): Promise<string> {
    return this.phones.postStatus(fromPn, accountPn, text)
  }

  /** Delivers a message from a contact (or anyone) to every device linked to an account. */
  injectMessage(fromPn: string, accountPn: string, message: proto.IMessage, options: InjectOptions = {}): Promise<string> {
    return this.phones.injectMessage(fromPn, accountPn, message, options)
  }

  /** Hosts an attachment the way WhatsApp's media servers do, and delivers it as a message. */
  injectMedia(...media: Parameters<PhoneMessages['injectMedia']>): Promise<string> {
    return this.phones.injectMedia(...media)
  }

  injectText(fromPn: string, accountPn: string, text: string, options?: InjectOptions): Promise<string> {
    return this.phones.injectText(fromPn, accountPn, text, options)
  }

  /** A message from the account's own phone to its linked devices (protocol and peer messages). */
  sendFromPhone(accountPn: string, message: proto.IMessage, only?: LinkedDevice): Promise<void> {
    return this.phones.sendFromPhone(accountPn, message, only)
  }

  /** The recipient's phone reports delivery, then (optionally) that the user read it. */
  sendReceipt(sent: SentMessage, type: 'delivery' | 'read' = 'delivery'): void {
    this.recipients.sendReceipt(sent, type)
  }

  /** Resolves with the next message a linked device sends that matches. */
  waitForSent(match: (sent: SentMessage) => boolean = () => true, timeoutMs = 10_000): Promise<SentMessage> {
    return this.recipients.waitForSent(match, timeoutMs)
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

  /**
   * Sets an account's cap on new chats for this cycle (or lifts it with `undefined`): the cap query
   * answers with it, each first message to someone uses one, and unless `push` is false its linked
   * devices get the `MessageCappingInfoNotification` at once (and again when the cap fills).
   */
  setNewChatCap(accountPn: string, cap: NewChatCap | undefined, { push = true }: { push?: boolean } = {}): void {
    this.faults.setNewChatCap(accountPn, cap, push)
  }

  /**
   * Makes an account's live sockets half-dead, as a stuck path does: keep-alive pings are still
   * answered (so Baileys keeps the socket), everything else is lost either way: messages the
   * device sends never arrive (no acks), queries get no answer, and receipts and inbound messages
   * do not reach it (inbound ones wait for its next login). It ends with those sockets: the
   * device's next connection is healthy.
   */
  halfDead(accountPn: string): void {
    this.faults.halfDead(accountPn)
  }

  /** Stops answering an account's sockets (pings included) without closing them. */
  mute(accountPn: string): void {
    this.faults.mute(accountPn)
  }
}
