import { Hono } from 'hono'
import type { proto } from '@whiskeysockets/baileys'
import type { Logger } from 'pino'
import { ok } from '../shared/errors.ts'
import { baileysTrustConfig, makeTrustingAgents, WaSim } from './sim/index.ts'
import type { TrustingAgents } from './sim/index.ts'

const textOf = (message: proto.IMessage): string | undefined =>
  message.conversation ?? message.extendedTextMessage?.text ?? message.imageMessage?.caption ?? message.videoMessage?.caption ?? message.documentMessage?.caption ?? undefined

/**
 * Sandbox mode: sessions link to the in-process WhatsApp emulator instead of WhatsApp, every
 * well-formed number is a reachable contact, and what each simulated recipient decrypted can be
 * read back. Nothing leaves the machine.
 */
export class Sandbox {
  readonly sim: WaSim
  private url?: string
  private agents?: TrustingAgents

  constructor(private readonly logger: Logger) {
    this.sim = new WaSim({ autoContacts: true, media: true, logger: logger.child({ module: 'sandbox' }) })
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
   * last, with the session that sent each (found by its linked number).
   */
  routes(sessionOf: (accountPn: string) => string | undefined) {
    return new Hono().get('/messages', c => {
      const to = c.req.query('to')
      const messages = this.sim.sent
        .filter(m => !to || m.to.startsWith(`${to}@`))
        .map(m => {
          const received = m.decrypted.filter(d => d.jid.startsWith(m.to.split('@')[0] ?? '')).map(d => d.message)
          return {
            messageId: m.id,
            sessionId: sessionOf(m.accountPn) ?? null,
            to: m.to,
            refusedWith: m.refusedWith ?? null,
            text: received.map(textOf).find(Boolean) ?? null,
            received
          }
        })
      return c.json(ok('Sandbox: what the simulated recipients decrypted', messages))
    })
  }

  async stop(): Promise<void> {
    await this.agents?.close()
    await this.sim.stop()
  }
}
