import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { fileTypeFromBuffer } from 'file-type'
import { Hono } from 'hono'
import { BufferJSON } from '@whiskeysockets/baileys'
import type { proto } from '@whiskeysockets/baileys'
import type { Logger } from 'pino'
import { appError, ok } from '../shared/errors.ts'
import { SandboxInboundRequest } from '../shared/host-api/sandbox.ts'
import { jsonBody } from './http/json-body.ts'
import { baileysTrustConfig, makeTrustingAgents, WaSim } from './sim/index.ts'
import type { DirectorySnapshot, TrustingAgents } from './sim/index.ts'

const textOf = (message: proto.IMessage): string | undefined =>
  message.conversation ?? message.extendedTextMessage?.text ?? message.imageMessage?.caption ?? message.videoMessage?.caption ?? message.documentMessage?.caption ?? undefined

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
    // Saved a moment after each change (linking adds an account, a device and contacts at once).
    this.sim.on('state-changed', () => {
      clearTimeout(this.saveTimer)
      this.saveTimer = setTimeout(() => this.save(), 100)
    })
  }

  async start(): Promise<void> {
    this.url = await this.sim.start()
    this.agents = makeTrustingAgents(this.sim.media.caPem)
    this.logger.warn('SANDBOX MODE: sessions link to the built-in WhatsApp emulator; no real message is sent')
  }

  /** Socket settings that point a session at the emulator and trust its media host. */
  socketConfig() {
    if (!this.url || !this.agents) throw new Error('sandbox not started')
    return { waWebSocketUrl: this.url, ...baileysTrustConfig(this.agents) }
  }

  /** Sandbox sessions link by themselves: the simulated phone scans each QR as it appears. */
  async autoLink(sessionId: string, qr: string): Promise<void> {
    const accountPn = `1555${[...sessionId].reduce((n, ch) => (n * 31 + ch.charCodeAt(0)) % 10_000_000, 7).toString().padStart(7, '0')}`
    await this.sim.scanQr(qr, { accountPn }).catch(error => this.logger.debug({ err: error, sessionId }, 'sandbox QR scan skipped'))
  }

  /**
   * `GET /internal/sandbox/messages?to=E164digits`: what simulated recipients decrypted, newest
   * last, with the session that sent each (found by its linked number). `POST /inbound`: a
   * contact sends a session a text or a file, as `message.received` then shows.
   */
  routes(sessions: { list(): { sessionId: string; phoneNumber: string | null }[]; numberOf(sessionId: string): string | null }) {
    return new Hono()
      .get('/messages', c => {
        const to = c.req.query('to')
        const sessionOf = new Map(sessions.list().map(session => [session.phoneNumber, session.sessionId]))
        const messages = this.sim.sent
          .filter(m => !to || m.to.startsWith(`${to}@`))
          .map(m => {
            const received = m.decrypted.filter(d => d.jid.startsWith(m.to.split('@')[0] ?? '')).map(d => d.message)
            return {
              messageId: m.id,
              sessionId: sessionOf.get(m.accountPn) ?? null,
              to: m.to,
              refusedWith: m.refusedWith ?? null,
              text: received.map(textOf).find(Boolean) ?? null,
              received
            }
          })
        return c.json(ok('Sandbox: what the simulated recipients decrypted', messages))
      })
      .post('/inbound', async c => {
        const body = await jsonBody(c, SandboxInboundRequest)
        const accountPn = sessions.numberOf(body.sessionId)
        if (!accountPn) throw appError('SESSION_NOT_CONNECTED', `Session ${body.sessionId} is not linked`)
        let messageId: string
        if (body.media) {
          const bytes = Buffer.from(body.media.data, 'base64')
          // The type the file really is, as a phone would send it, unless the caller names one.
          const mimetype = body.media.mimetype ?? (await fileTypeFromBuffer(bytes))?.mime
          messageId = await this.sim.injectMedia(body.from, accountPn, body.media.type, bytes, {
            ...(body.media.caption ? { caption: body.media.caption } : {}),
            ...(body.media.fileName ? { fileName: body.media.fileName } : {}),
            ...(mimetype ? { mimetype } : {})
          })
        } else messageId = await this.sim.injectText(body.from, accountPn, body.text!)
        return c.json(ok('Sandbox: the contact sent it', { messageId, sessionId: body.sessionId, from: body.from }), 201)
      })
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
