import type { Boom } from '@hapi/boom'
import pino from 'pino'
import makeWASocket, { DisconnectReason, initAuthCreds } from '@whiskeysockets/baileys'
import type {
  AuthenticationState,
  BaileysEventMap,
  ConnectionState,
  SignalDataSet,
  SignalDataTypeMap,
  SignalKeyStore,
  UserFacingSocketConfig,
  WASocket
} from '@whiskeysockets/baileys'
import { ackStatusStanzas, handleQrRotation, withAdvSecret } from '../../sessions/server-2026-handlers.ts'
import type { WaSim } from '../wa-sim.ts'

/** Auth state kept in memory: enough for a client that lives as long as one test. */
export const memoryAuthState = (): AuthenticationState => {
  const data = new Map<string, unknown>()
  const keys: SignalKeyStore = {
    get: async <T extends keyof SignalDataTypeMap>(type: T, ids: string[]) => {
      const found: { [id: string]: SignalDataTypeMap[T] } = {}
      for (const id of ids) {
        const value = data.get(`${type}/${id}`)
        if (value !== undefined) found[id] = value as SignalDataTypeMap[T]
      }
      return found
    },
    set: async (set: SignalDataSet) => {
      for (const [type, entries] of Object.entries(set)) {
        for (const [id, value] of Object.entries(entries ?? {})) {
          if (value === null || value === undefined) data.delete(`${type}/${id}`)
          else data.set(`${type}/${id}`, value)
        }
      }
    }
  }
  return { creds: initAuthCreds(), keys }
}

export type DriverOptions = {
  url: string
  /** The emulator that scans the QRs (`scanAs`); a client of an emulator in another process goes without. */
  sim?: WaSim
  /** Scan each QR the client shows with this account's simulated phone. */
  scanAs?: string
  /** Told each QR the client shows (an emulator in another process scans them there). */
  onQr?: (qr: string) => void
  auth?: AuthenticationState
  socket?: Partial<UserFacingSocketConfig>
  /** Reconnect after drops, as a real application does (515 restarts always reconnect). */
  reconnect?: boolean
  /** Called after each `creds.update` has been applied, to persist the creds. */
  onCreds?: () => void
  /**
   * `product` (default): the session host's handlers for the late-2026 server (QR secret
   * rotation, status acks), as the product runs Baileys; `none`: Baileys as published.
   */
  handlers?: 'product' | 'none'
}

type Recorded = { [K in keyof BaileysEventMap]?: BaileysEventMap[K][] }

const logger = pino({ level: process.env.BAILEYS_LOG_LEVEL ?? 'silent' })

/**
 * Plays the application around one Baileys client in tests: it links by QR through the
 * emulator's phone, restarts on 515 and, when asked, reconnects after drops. It records the
 * events Baileys emits, which is what the tests assert on.
 */
export class BaileysDriver {
  readonly auth: AuthenticationState
  readonly events: Recorded = {}
  readonly closeCodes: number[] = []
  /** Every QR the application showed, with the ADV secret it had at the time. */
  readonly qrs: string[] = []
  socket!: WASocket
  private stopped = false
  private readonly listeners = new Set<() => void>()

  constructor(private readonly options: DriverOptions) {
    this.auth = options.auth ?? memoryAuthState()
  }

  start(): this {
    this.connect()
    return this
  }

  /** Resolves once `check` passes on the recorded events, re-checked after every event. */
  waitUntil<T>(check: () => T | undefined | false, what: string, timeoutMs = 15_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const test = () => {
        const value = check()
        if (value === undefined || value === false) return
        done()
        resolve(value)
      }
      const done = () => {
        clearTimeout(timer)
        this.listeners.delete(test)
      }
      const timer = setTimeout(() => {
        done()
        reject(new Error(`timed out waiting for ${what}`))
      }, timeoutMs)
      this.listeners.add(test)
      test()
    })
  }

  /** Waits for the `n`-th `connection: 'open'` since the driver started. */
  waitOpen(n = 1, timeoutMs?: number): Promise<true> {
    return this.waitUntil(() => this.count('connection.update', u => u.connection === 'open') >= n || undefined, `open #${n}`, timeoutMs)
  }

  waitClosed(code: number, timeoutMs?: number): Promise<true> {
    return this.waitUntil(() => this.closeCodes.includes(code) || undefined, `close ${code}`, timeoutMs)
  }

  count<K extends keyof BaileysEventMap>(event: K, match: (value: BaileysEventMap[K]) => boolean = () => true): number {
    return (this.events[event] ?? []).filter(match).length
  }

  async stop(): Promise<void> {
    this.stopped = true
    this.socket?.end(undefined)
    this.listeners.clear()
  }

  private connect(): void {
    const socket = makeWASocket({
      waWebSocketUrl: this.options.url,
      auth: this.auth,
      logger,
      markOnlineOnConnect: false,
      connectTimeoutMs: 10_000,
      defaultQueryTimeoutMs: 10_000,
      ...this.options.socket
    })
    this.socket = socket
    socket.ev.on('creds.update', update => {
      Object.assign(this.auth.creds, update)
      this.options.onCreds?.()
    })
    const product = (this.options.handlers ?? 'product') === 'product'
    if (product) {
      handleQrRotation(socket, () => {
        const current = this.qrs.at(-1)
        if (current) void this.showQr(withAdvSecret(current, this.auth.creds.advSecretKey))
      })
      ackStatusStanzas(socket, logger)
    }
    socket.ev.process(events => {
      for (const [name, value] of Object.entries(events) as [keyof BaileysEventMap, never][]) {
        this.events[name] ??= []
        ;(this.events[name] as unknown[]).push(value)
      }
      const update = events['connection.update']
      if (update) void this.onConnectionUpdate(socket, update)
      for (const listener of this.listeners) listener()
    })
  }

  /** Shows a QR; with `scanAs`, the account's phone scans it (a stale or refused one fails quietly). */
  private async showQr(qr: string): Promise<void> {
    this.qrs.push(qr)
    this.options.onQr?.(qr)
    for (const listener of this.listeners) listener()
    if (this.options.scanAs && this.options.sim) await this.options.sim.scanQr(qr, { accountPn: this.options.scanAs }).catch(() => undefined)
  }

  private async onConnectionUpdate(socket: WASocket, update: Partial<ConnectionState>): Promise<void> {
    const product = (this.options.handlers ?? 'product') === 'product'
    if (update.qr) await this.showQr(product ? withAdvSecret(update.qr, this.auth.creds.advSecretKey) : update.qr)
    if (update.connection !== 'close' || socket !== this.socket) return
    const code = (update.lastDisconnect?.error as Boom | undefined)?.output?.statusCode ?? 0
    this.closeCodes.push(code)
    for (const listener of this.listeners) listener()
    const restart =
      code === DisconnectReason.restartRequired ||
      (this.options.reconnect && code !== DisconnectReason.loggedOut && code !== DisconnectReason.connectionReplaced)
    if (restart && !this.stopped) this.connect()
  }
}
