import type { EventEmitter } from 'node:events'
import type { BinaryNode } from '@whiskeysockets/baileys'
import type { Connection } from './connection.ts'
import type { Directory } from './directory.ts'
import type { SimFaults } from './faults.ts'
import { decryptOutgoing } from './message-crypto.ts'
import type { DecryptedCopy } from './message-crypto.ts'
import type { SimLogger, WaSimOptions } from './sim-options.ts'
import type { SimServer } from './sim-server.ts'
import { now } from './stanza-attrs.ts'

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

export type RecipientsDeps = { options: WaSimOptions; logger: SimLogger; directory: Directory; events: EventEmitter; server: SimServer; faults: SimFaults }

/**
 * The phones on the receiving end of what linked devices send: the server acks (or refuses) each
 * message, the recipients decrypt their copies, and their phones send receipts back.
 */
export class SimRecipients {
  /** Everything linked devices sent, in order. */
  readonly sent: SentMessage[] = []
  private readonly receiptTimers = new Set<NodeJS.Timeout>()

  constructor(private readonly deps: RecipientsDeps) {}

  async onMessage(connection: Connection, stanza: BinaryNode): Promise<void> {
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
    const { decrypted, failures } = refusedWith ? { decrypted: [], failures: [] } : await decryptOutgoing(stanza, device, this.deps.directory)
    for (const failure of failures) this.deps.logger.warn({ id, ...failure }, 'sim could not decrypt a copy')
    // A phone keeps one copy per sender and message id, as WhatsApp clients do with a resend.
    const duplicate = !refusedWith && this.sent.some(m => m.id === id && m.accountPn === device.account.pn && !m.refusedWith)
    const sent: SentMessage = {
      id,
      accountPn: device.account.pn,
      deviceId: device.id,
      to,
      node: stanza,
      decrypted,
      failures,
      ...(refusedWith ? { refusedWith } : {}),
      ...(duplicate ? { duplicate } : {})
    }
    this.record(sent)
    if (!refusedWith) this.deps.faults.noteAccepted(device.account.pn, to)
    const receipts = this.deps.options.autoReceipts
    if (receipts && !refusedWith && !duplicate && this.deps.directory.resolve(to)?.kind === 'contact') {
      this.later(receipts.deliveredAfterMs, () => this.sendReceipt(sent, 'delivery'))
      if (magic !== '0001') this.later(receipts.readAfterMs, () => this.sendReceipt(sent, 'read'))
    }
  }

  sendReceipt(sent: SentMessage, type: 'delivery' | 'read' = 'delivery'): void {
    const attrs: Record<string, string> = { id: sent.id, from: sent.to, t: now() }
    if (type === 'read') attrs.type = 'read'
    for (const connection of this.deps.server.liveConnections(sent.accountPn, sent.deviceId)) void connection.sendNode({ tag: 'receipt', attrs })
  }

  waitForSent(match: (sent: SentMessage) => boolean = () => true, timeoutMs = 10_000): Promise<SentMessage> {
    const already = this.sent.find(match)
    if (already) return Promise.resolve(already)
    return new Promise((resolve, reject) => {
      const onSent = (sent: SentMessage) => {
        if (!match(sent)) return
        clearTimeout(timer)
        this.deps.events.off('message-sent', onSent)
        resolve(sent)
      }
      const timer = setTimeout(() => {
        this.deps.events.off('message-sent', onSent)
        reject(new Error('no matching message was sent'))
      }, timeoutMs)
      this.deps.events.on('message-sent', onSent)
    })
  }

  stop(): void {
    for (const timer of this.receiptTimers) clearTimeout(timer)
    this.receiptTimers.clear()
  }

  /** Keeps what a device sent (the latest `sentLimit` of it) and tells listeners. */
  private record(sent: SentMessage): void {
    this.sent.push(sent)
    const limit = this.deps.options.sentLimit
    if (limit !== undefined && this.sent.length > limit) this.sent.splice(0, this.sent.length - limit)
    this.deps.events.emit('message-sent', sent)
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
    if (!this.deps.options.magicNumbers) return undefined
    const peer = this.deps.directory.resolve(to)
    if (peer?.kind !== 'contact') return undefined
    const last = peer.contact.pn.slice(-4)
    return last === '0463' || last === '0408' || last === '0001' ? last : undefined
  }

  private refusalFor(to: string): string | undefined {
    const peer = this.deps.directory.resolve(to)
    if (peer?.kind === 'account') return undefined
    if (!peer?.contact.onWhatsApp) return NOT_ON_WHATSAPP_ACK_ERROR
    return this.deps.faults.sendRefusal(peer.contact.pn) ?? (this.magicOf(to) === '0463' ? '463' : undefined)
  }
}
