import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { fileTypeFromBuffer } from 'file-type'
import { BufferJSON } from '@whiskeysockets/baileys'
import type { Logger } from 'pino'
import type { z } from 'zod'
import type { SandboxEmulatorAnswer, SandboxInboundRequest } from '../../shared/host-api/sandbox.ts'
import { baileysTrustConfig, makeTrustingAgents, WaSim } from '../sim/index.ts'
import type { DirectorySnapshot, TrustingAgents } from '../sim/index.ts'
import { trustNoiseRoot } from '../sessions/noise-root.ts'

export type SandboxOptions = {
  /** Where the emulator's accounts, linked devices and contacts are kept across restarts. */
  stateFile: string
  /** When a recipient's phone says delivered, then read, after each message. */
  receipts: { deliveredAfterMs: number; readAfterMs: number }
  /** How many sent messages `GET /messages` remembers (the oldest go first). */
  sentLimit: number
}

/**
 * Sandbox mode: sessions link to the in-process WhatsApp emulator instead of WhatsApp, every
 * well-formed number is a reachable contact (the test numbers aside), recipients answer with
 * receipts, contacts can write to a session, and what each recipient decrypted can be read
 * back. Accounts persist in the data folder, so sessions come back linked after a restart.
 * Nothing leaves the machine.
 */
export class Sandbox {
  readonly sim: WaSim
  private url?: string
  private agents?: TrustingAgents
  private saveTimer?: NodeJS.Timeout

  constructor(
    private readonly logger: Logger,
    private readonly options: SandboxOptions
  ) {
    const state = existsSync(options.stateFile) ? (JSON.parse(readFileSync(options.stateFile, 'utf8'), BufferJSON.reviver) as DirectorySnapshot) : undefined
    this.sim = new WaSim({
      autoContacts: true,
      magicNumbers: true,
      media: true,
      autoReceipts: options.receipts,
      sentLimit: options.sentLimit,
      ...(state ? { state } : {}),
      logger: logger.child({ module: 'sandbox' })
    })
    // A device linked or removed is saved at once, before its client logs in with it (a host killed
    // right after a link would come back logged out); other changes (a new contact with each new
    // number) a moment later, together.
    this.sim.on('state-changed', (what?: 'devices') => {
      clearTimeout(this.saveTimer)
      if (what === 'devices') this.save()
      else this.saveTimer = setTimeout(() => this.save(), 100)
    })
  }

  async start(): Promise<void> {
    this.url = await this.sim.start()
    this.agents = makeTrustingAgents(this.sim.media.caPem)
    trustNoiseRoot(this.sim.certRoot)
    this.logger.warn('SANDBOX MODE: sessions link to the built-in WhatsApp emulator; no real message is sent')
  }

  /** Where other hosts of a sandbox fleet connect, and the authorities their sessions trust for its media and its noise chain. */
  emulator(): z.infer<typeof SandboxEmulatorAnswer> {
    if (!this.url) throw new Error('sandbox not started')
    return { wsUrl: this.url, caPem: this.sim.media.caPem, noiseRootKey: this.sim.certRoot.toString('hex') }
  }

  /** Socket settings that point a session at the emulator and trust its media host. */
  socketConfig() {
    if (!this.url || !this.agents) throw new Error('sandbox not started')
    return { waWebSocketUrl: this.url, ...baileysTrustConfig(this.agents) }
  }

  /** Sandbox sessions link by themselves: the simulated phone scans each QR as it appears. */
  async autoLink(sessionId: string, qr: string): Promise<void> {
    const accountPn = `1555${[...sessionId]
      .reduce((n, ch) => (n * 31 + ch.charCodeAt(0)) % 10_000_000, 7)
      .toString()
      .padStart(7, '0')}`
    await this.sim.scanQr(qr, { accountPn }).catch(error => this.logger.debug({ err: error, sessionId }, 'sandbox QR scan skipped'))
  }

  /** The phone of `phoneNumber` types a pairing code in: the session that asked for it links as that number. */
  async enterPairingCode(phoneNumber: string, code: string): Promise<void> {
    const outcome = await this.sim.enterPairingCode(phoneNumber, code)
    if (outcome.kind !== 'linked') throw new Error(`the pairing code did not link: ${outcome.kind}`)
  }

  /** What simulated recipients decrypted, oldest first (bounded by SANDBOX_SENT_LIMIT). */
  sent() {
    return this.sim.sent
  }

  /** A contact sends a session's account a text, or a file (its type sniffed unless named); the message id. */
  async inbound(body: z.infer<typeof SandboxInboundRequest>, accountPn: string): Promise<string> {
    const options = body.lidOnly ? { addressing: 'lid-only' as const } : {}
    if (!body.media) return this.sim.injectText(body.from, accountPn, body.text!, options)
    const bytes = Buffer.from(body.media.data, 'base64')
    // The type the file really is, as a phone would send it, unless the caller names one.
    const mimetype = body.media.mimetype ?? (await fileTypeFromBuffer(bytes))?.mime
    return this.sim.injectMedia(
      body.from,
      accountPn,
      body.media.type,
      bytes,
      {
        ...(body.media.caption ? { caption: body.media.caption } : {}),
        ...(body.media.fileName ? { fileName: body.media.fileName } : {}),
        ...(mimetype ? { mimetype } : {})
      },
      options
    )
  }

  /** Writes the emulator's accounts and contacts next to the database (whole file, then rename). */
  private save(): void {
    const temporary = `${this.options.stateFile}.tmp`
    writeFileSync(temporary, JSON.stringify(this.sim.snapshot(), BufferJSON.replacer), { mode: 0o600 })
    renameSync(temporary, this.options.stateFile)
  }

  async stop(): Promise<void> {
    clearTimeout(this.saveTimer)
    this.save()
    await this.agents?.close()
    await this.sim.stop()
  }
}
