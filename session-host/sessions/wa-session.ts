import type { Boom } from '@hapi/boom'
import makeWASocket, { DisconnectReason } from '@whiskeysockets/baileys'
import type { ConnectionState, UserFacingSocketConfig, WABrowserDescription, WASocket } from '@whiskeysockets/baileys'
import type { Logger } from 'pino'
import { DEFAULT_DEVICE_LABEL } from '../../shared/sessions.ts'
import type { SessionRestriction } from '../../shared/host-api/sessions.ts'
import type { LinkFailure, LinkFailureReason, ServerError, SessionStatus } from '../../shared/sessions.ts'
import type { Db, DbExecutor } from '../db/database.ts'
import { isLeaseCurrent } from '../fleet/session-leases.ts'
import type { Fence } from '../fleet/session-leases.ts'
import { messageStatusEvent } from './whatsapp-status.ts'
import { baileysLogger } from './baileys-logger.ts'
import { companionBrowser } from './companion-device.ts'
import type { ConnectGate } from './connect-gate.ts'
import { UNRESPONSIVE, watchLiveness } from './liveness-watchdog.ts'
import type { LivenessSettings } from './liveness-watchdog.ts'
import { FINAL_CLOSES, REACHOUT_REFUSAL, REFS_EXHAUSTED } from './connection-closes.ts'
import { RegistrationNotReadyError, requestPairingCode } from './pairing-code-request.ts'
import { ReachoutRestriction } from './reachout-restriction.ts'
import { reconnectDelayMs } from './reconnect-backoff.ts'
import { ackStatusStanzas, detectPasskeyRequest, handleQrRotation, withAdvSecret } from './server-2026-handlers.ts'
import type { CloseReason, SessionEvent } from './session-event.ts'
import { SessionWrites } from './session-writes.ts'
import { loadAuthState } from './stored-auth-state.ts'
import { tapLidMappings } from './lid-mapping-tap.ts'

export { RegistrationNotReadyError }

export type WaSessionOptions = {
  id: string
  db: Db
  /** This host's lease on the session: every write the session makes is fenced by it. */
  fence: Fence
  logger: Logger
  /** The name the phone lists the device under (DEFAULT_DEVICE_LABEL when unset). */
  deviceLabel?: string
  /** Extra socket settings: the emulator's URL and media trust in sandbox mode, timeouts in tests. */
  socket?: Partial<UserFacingSocketConfig>
  backoff?: { baseMs?: number; maxMs?: number }
  /** Closes a connected socket that answers pings but nothing else (liveness-watchdog.ts); unset: off. */
  liveness?: LivenessSettings
  /** Bounds how many of the host's sessions connect at once; unset: no bound. */
  connectGate?: ConnectGate
  onEvent?: (event: SessionEvent) => void
  /** Records an event in the caller's transaction, with the status change it reports (webhooks). */
  journal?: (tx: DbExecutor, event: SessionEvent) => Promise<void>
}

/** How long a pairing-code request waits for a registration to be ready (its first QR). */
const REGISTRATION_WAIT_MS = 15_000

/** `connection.update` as the project's Baileys patch extends it (patches/, messages-recv.js). */
type PatchedConnectionUpdate = Partial<ConnectionState> & { pairingCodeRefused?: ServerError }

/**
 * One WhatsApp session's life: it owns the Baileys socket, persists auth state in the database, follows
 * the 515 restart at once, reconnects after drops with jittered backoff, and on a logout (401)
 * wipes its auth state and stops. A link that cannot complete (QR refs run out, a refused or
 * expired pairing code, a passkey step) ends in `link_failed` with the reason, never silently.
 */
export class WaSession {
  status: SessionStatus = 'connecting'
  qr?: string
  /** WhatsApp rotated the QR's secret after a scan: the QR shown now must be scanned again. */
  qrRefreshed = false
  phoneNumber?: string
  /** The linked account as WhatsApp knows it: its device JID and push name. */
  user?: { id: string; name: string | null }
  linkFailure?: LinkFailure
  /** When the QR shown now was made. */
  qrAt?: Date
  private socket?: WASocket
  private attempt = 0
  private retryTimer?: NodeJS.Timeout
  private stopped = false
  /** A pairing code was requested on the current registration socket. */
  private pairingRequested = false
  private connectedAt: number | undefined
  private pairingQueue: Promise<unknown> = Promise.resolve()
  private readonly qrWaiters = new Set<() => void>()
  /** This session's writes (status, events, creds, a wipe), one after another in the order they happened. */
  private readonly writes: SessionWrites
  private readonly browser: WABrowserDescription
  private readonly log: Logger
  private readonly reachout: ReachoutRestriction

  constructor(private readonly options: WaSessionOptions) {
    this.log = options.logger.child({ sessionId: options.id })
    this.reachout = new ReachoutRestriction(this.log, () => this.emitRestriction())
    this.writes = new SessionWrites({
      db: options.db,
      sessionId: options.id,
      fence: options.fence,
      logger: this.log,
      journal: options.journal,
      onEvent: options.onEvent
    })
    this.browser = options.socket?.browser ?? companionBrowser(options.deviceLabel ?? DEFAULT_DEVICE_LABEL)
  }

  get id(): string {
    return this.options.id
  }

  /** What WhatsApp bars the account from (the reach-out time-lock), if anything. */
  get restriction(): SessionRestriction | undefined {
    return this.reachout.current
  }

  /** The lease this session runs under on this host. */
  get fence(): Fence {
    return this.options.fence
  }

  /** Connected for at least `ms`: no link or restart under way, so it can move without anyone noticing. */
  settledFor(ms: number): boolean {
    return this.status === 'connected' && this.connectedAt !== undefined && Date.now() - this.connectedAt >= ms
  }

  /** The live socket, for sending; undefined unless connected. */
  get connectedSocket(): WASocket | undefined {
    return this.status === 'connected' ? this.socket : undefined
  }

  start(): void {
    this.stopped = false
    this.connect()
  }

  /** Closes the socket and stops reconnecting; the session stays linked. Resolves once its writes are stored. */
  async stop(): Promise<void> {
    this.stopped = true
    clearTimeout(this.retryTimer)
    const socket = this.socket
    this.socket = undefined
    socket?.end(undefined)
    await this.writes.settled()
  }

  /**
   * A code to type on the phone of `phoneNumber`, once WhatsApp accepted the request (else
   * PairingCodeRefusedError). A session whose link failed or was logged out starts a new
   * registration first. Requests run one at a time: the latest accepted code is the one that links.
   */
  requestPairingCode(phoneNumber: string): Promise<string> {
    const request = this.pairingQueue.then(async () => {
      if (this.status === 'link_failed' || this.status === 'logged_out') this.start()
      const socket = await this.registration()
      const code = await requestPairingCode(socket, { phoneNumber, browser: this.browser })
      this.pairingRequested = true
      return code
    })
    this.pairingQueue = request.catch(() => undefined)
    return request
  }

  /** The socket of the registration in progress, once it is ready to link (it has shown a QR). */
  private registration(): Promise<WASocket> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!this.socket || !this.qr) return false
        done()
        resolve(this.socket)
        return true
      }
      const done = () => {
        clearTimeout(timer)
        this.qrWaiters.delete(check)
      }
      const timer = setTimeout(() => {
        done()
        reject(new RegistrationNotReadyError(this.status))
      }, REGISTRATION_WAIT_MS)
      if (!check()) this.qrWaiters.add(check)
    })
  }

  /** Unlinks the device at WhatsApp (when connected) and wipes the auth state. */
  async logout(): Promise<void> {
    const socket = this.connectedSocket
    this.stopped = true
    clearTimeout(this.retryTimer)
    if (socket) await socket.logout().catch(error => this.log.warn({ err: error }, 'logout request failed'))
    else this.socket?.end(undefined)
    this.socket = undefined
    this.writes.wipeAuthState()
    this.setStatus('logged_out')
    await this.writes.settled()
  }

  private connect(): void {
    this.open().catch(error => {
      // The database refused the auth state: try again later like a dropped connection.
      this.log.error({ err: error }, 'could not load the auth state')
      this.onClose(0, 'auth state unavailable')
    })
  }

  private async open(): Promise<void> {
    // After the writes before it (a wipe of a failed link, say), so it reads what they left.
    await this.writes.settled()
    // A host that lost the session (paused past its lease, say) must not log in: it would push the
    // new owner's connection off WhatsApp.
    if (!(await isLeaseCurrent(this.options.db, this.options.id, this.options.fence))) {
      this.log.warn('not connecting: this host no longer holds the session')
      return
    }
    // A place among the sockets connecting now (connect-gate.ts), given back if none is made.
    const release = (await this.options.connectGate?.enter()) ?? (() => {})
    const { state, saveCreds } = await loadAuthState(this.options.db, this.options.id, this.options.fence).catch(error => {
      release()
      throw error
    })
    if (this.stopped) return release()
    const socket = makeWASocket({
      auth: tapLidMappings(state, mappings => this.emit({ type: 'lid-mappings', sessionId: this.id, mappings })),
      logger: baileysLogger(this.log.child({ module: 'baileys' }, { level: this.log.level === 'trace' ? 'trace' : 'warn' })),
      markOnlineOnConnect: false,
      // An OTP gateway needs no chat history; skipping it also skips Baileys' wait for the first sync.
      shouldSyncHistoryMessage: () => false,
      syncFullHistory: false,
      ...this.options.socket,
      browser: this.browser
    })
    this.socket = socket
    this.options.connectGate?.hold(socket, release)
    this.pairingRequested = false
    this.qrRefreshed = false
    // A linked session keeps its number while it reconnects or restarts: its sends are queued,
    // and the number must not be wiped from its row by the 'connecting' status before 'open'.
    if (state.creds.account && state.creds.me) this.adoptAccount(state.creds.me)
    // A socket this session let go of (a failed link wipes the creds) must not write them back.
    socket.ev.on('creds.update', () => {
      if (socket === this.socket) void this.writes.enqueue('creds', saveCreds)
    })
    handleQrRotation(socket, () => {
      if (socket !== this.socket || !this.qr) return
      this.log.info('WhatsApp refreshed the QR secret after a scan; showing the QR again')
      this.qrRefreshed = true
      this.showQr(this.qr, state.creds.advSecretKey)
    })
    ackStatusStanzas(socket, this.log)
    socket.ev.on('message-capping.update', cap => socket === this.socket && this.emit({ type: 'new-chat-cap', sessionId: this.id, cap }))
    if (this.options.liveness) watchLiveness(socket, { ...this.options.liveness, log: this.log })
    detectPasskeyRequest(socket, () => {
      if (socket === this.socket) this.failLink(socket, { reason: 'passkey_required' })
    })
    socket.ev.on('connection.update', (update: PatchedConnectionUpdate) => {
      if (socket !== this.socket) return
      // rc14 keeps the ADV secret it saw when pairing began; every QR it shows gets the current one.
      if (update.qr) this.showQr(update.qr, state.creds.advSecretKey)
      if (update.pairingCodeRefused) {
        this.failLink(socket, { reason: 'pairing_refused', serverError: update.pairingCodeRefused })
        return
      }
      if (update.connection === 'connecting' && this.status !== 'qr') this.setStatus('connecting')
      if (update.connection === 'open') {
        this.attempt = 0
        this.qr = undefined
        if (state.creds.me) this.adoptAccount(state.creds.me)
        this.setStatus('connected')
        // The time-lock lives on WhatsApp's side: ask once per connection, or a restarted host
        // would show none until the next push or refusal.
        this.reachout.read(socket)
      }
      if (update.connection === 'close') {
        const error = update.lastDisconnect?.error as Boom | undefined
        this.onClose(error?.output?.statusCode ?? 0, error?.message)
      }
      if (update.reachoutTimeLock) this.reachout.update(update.reachoutTimeLock)
    })
    socket.ev.on('messages.upsert', ({ messages, type }) => {
      // Baileys folds updates of our own messages into a buffered upsert: read their status here too.
      for (const message of messages) if (message.key.fromMe) this.reportStatus(message.key.id, message.status, message.messageStubParameters)
      if (type === 'notify') this.emit({ type: 'messages', sessionId: this.id, messages })
    })
    socket.ev.on('messages.update', updates => {
      for (const { key, update } of updates) if (key.fromMe) this.reportStatus(key.id, update.status, update.messageStubParameters)
    })
    // Baileys reports only refused acks; the accepted ones are what turns a message into "sent".
    socket.ws.on('CB:ack,class:message', (node: { attrs: Record<string, string> }) => {
      if (socket !== this.socket || !node.attrs.id) return
      this.emit({ type: 'message-ack', sessionId: this.id, messageId: node.attrs.id, ...(node.attrs.error ? { error: node.attrs.error } : {}) })
      if (node.attrs.error === REACHOUT_REFUSAL) this.reachout.read(socket)
    })
  }

  private reportStatus(messageId: string | null | undefined, baileysStatus: number | null | undefined, parameters: string[] | null | undefined): void {
    const event = messageStatusEvent(this.id, messageId, baileysStatus, parameters)
    if (event) this.emit(event)
  }

  private emitRestriction(): void {
    this.emit({
      type: 'restriction',
      sessionId: this.id,
      restriction: this.restriction,
      status: this.status,
      ...(this.phoneNumber ? { phoneNumber: this.phoneNumber } : {})
    })
  }

  /** Shows a QR with the current ADV secret, and wakes pairing-code requests waiting for one. */
  private showQr(qr: string, advSecret: string): void {
    this.qr = withAdvSecret(qr, advSecret)
    this.qrAt = new Date()
    this.setStatus('qr')
    this.emit({ type: 'qr', sessionId: this.id, qr: this.qr, refreshed: this.qrRefreshed })
    for (const waiter of [...this.qrWaiters]) waiter()
  }

  /**
   * Ends a link that cannot complete: the socket closes, the half-made registration is wiped (a
   * pairing code's `me` would otherwise be used to log in), and the session waits in
   * `link_failed` for the operator (restart, or a new pairing code).
   */
  private failLink(socket: WASocket, failure: LinkFailure): void {
    this.log.warn({ reason: failure.reason, serverError: failure.serverError ?? null }, 'linking failed')
    this.socket = undefined
    socket.end(undefined)
    this.qr = undefined
    this.qrRefreshed = false
    this.writes.wipeAuthState()
    this.linkFailure = failure
    this.setStatus('link_failed')
  }

  private onClose(code: number, message?: string): void {
    const socket = this.socket
    if (!this.stopped && socket && code === DisconnectReason.timedOut && message === REFS_EXHAUSTED) {
      const reason: LinkFailureReason = this.pairingRequested ? 'pairing_code_expired' : 'refs_exhausted'
      this.failLink(socket, { reason })
      return
    }
    this.socket = undefined
    if (this.stopped) return
    if (code === DisconnectReason.loggedOut) {
      this.log.warn({ code }, 'logged out by WhatsApp; auth state wiped')
      this.writes.wipeAuthState()
      this.setStatus('logged_out', code)
      return
    }
    if (FINAL_CLOSES.has(code)) {
      this.log.warn({ code }, 'session closed for good')
      this.setStatus('disconnected', code)
      return
    }
    if (code === DisconnectReason.restartRequired) {
      this.connect()
      return
    }
    const delay = reconnectDelayMs(this.attempt++, this.options.backoff)
    this.log.info({ code, delay, attempt: this.attempt }, 'connection closed; reconnecting')
    this.setStatus('disconnected', code, message === UNRESPONSIVE ? 'unresponsive' : undefined)
    this.retryTimer = setTimeout(() => this.connect(), delay)
  }

  /** The linked account, as the session shows it: its number and Baileys' `me`. */
  private adoptAccount(me: { id: string; name?: string | undefined }): void {
    this.phoneNumber = me.id.split(':')[0]?.split('@')[0]
    this.user = { id: me.id, name: me.name ?? null }
  }

  private setStatus(status: SessionStatus, closeCode?: number, closeReason?: CloseReason): void {
    // Connecting, and leaving the connected state, are the moments the session was last seen up.
    const seen = status === 'connected' || this.status === 'connected'
    if (status === 'connected' && this.status !== 'connected') this.connectedAt = Date.now()
    if (status !== 'connected') this.connectedAt = undefined
    this.status = status
    if (status !== 'link_failed') this.linkFailure = undefined
    const event: SessionEvent = {
      type: 'status',
      sessionId: this.id,
      status,
      ...(this.phoneNumber ? { phoneNumber: this.phoneNumber } : {}),
      ...(closeCode ? { closeCode } : {}),
      ...(closeReason ? { closeReason } : {}),
      ...(this.linkFailure ? { linkFailure: this.linkFailure } : {}),
      ...(this.restriction ? { restriction: this.restriction } : {})
    }
    const row = {
      status,
      phoneNumber: this.phoneNumber ?? null,
      linkFailure: this.linkFailure ?? null,
      updatedAt: new Date(),
      ...(seen ? { lastSeenAt: new Date() } : {})
    }
    this.writes.recordStatus(event, row)
  }

  /** An event that changes nothing stored on the session row. */
  private emit(event: SessionEvent): void {
    this.writes.record(event)
  }
}
