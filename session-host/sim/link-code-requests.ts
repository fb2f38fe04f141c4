import type { EventEmitter } from 'node:events'
import { getBinaryNodeChild } from '@whiskeysockets/baileys'
import type { BinaryNode } from '@whiskeysockets/baileys'
import type { Connection } from './connection.ts'
import { errorIq } from './iq-answers.ts'
import type { IqRefusal } from './iq-answers.ts'
import { LinkRefusedError } from './link-outcome.ts'
import {
  companionFinishResult,
  companionHelloRefusal,
  companionHelloResult,
  newLinkCodePairingRef,
  parseCompanionFinish,
  parseCompanionHello
} from './pairing-code.ts'
import type { AcceptedDisplays, CompanionFinish, CompanionHello } from './pairing-code.ts'
import { isLate2026 } from './sim-options.ts'
import type { SimLogger, WaSimOptions } from './sim-options.ts'

/** A pairing code a companion asked for, waiting for the user to type it on the phone. */
export type LinkCodeRequest = { connection: Connection; hello: CompanionHello; ref: Buffer; primaryHelloSent: boolean }

type FinishWaiter = { resolve(finish: CompanionFinish): void; reject(error: Error): void }

/**
 * The server's side of pairing-code login: the `link_code_companion_reg` stages companions send,
 * the requests waiting for their code, and why the server dropped one.
 */
export class LinkCodeRequests {
  /** By phone number. */
  private readonly requests = new Map<string, LinkCodeRequest>()
  /** Why the server dropped a pairing-code request, by phone number (late-2026). */
  private readonly retired = new Map<string, string>()
  private readonly finishes = new Map<string, FinishWaiter>()

  constructor(private readonly deps: { options: WaSimOptions; logger: SimLogger; events: EventEmitter; acceptedDisplays: AcceptedDisplays }) {}

  async onIq(connection: Connection, iq: BinaryNode, refusal?: IqRefusal): Promise<void> {
    const { events, logger } = this.deps
    const late2026 = isLate2026(this.deps.options)
    const stage = getBinaryNodeChild(iq, 'link_code_companion_reg')?.attrs.stage
    if (stage === 'companion_hello') {
      const hello = parseCompanionHello(iq)
      const invalid = late2026 ? companionHelloRefusal(hello, this.deps.acceptedDisplays) : undefined
      const refused = refusal ?? (invalid ? { code: 400, text: 'bad-request' } : undefined)
      if (refused) {
        logger.debug({ display: hello.platformDisplay, platformId: hello.platformId, code: refused.code }, 'sim refuses companion_hello')
        await connection.sendNode(errorIq(iq, refused.code, refused.text))
        this.retired.set(hello.phoneNumber, `companion_hello refused with ${refused.code} (${invalid ?? refused.text})`)
        events.emit('pairing-code-refused', { phoneNumber: hello.phoneNumber, code: refused.code, reason: invalid ?? refused.text })
        return
      }
      const ref = newLinkCodePairingRef()
      this.retired.delete(hello.phoneNumber)
      this.requests.set(hello.phoneNumber, { connection, hello, ref, primaryHelloSent: false })
      await connection.sendNode(companionHelloResult({ iqId: hello.iqId, ref }))
      events.emit('pairing-code-requested', { phoneNumber: hello.phoneNumber })
      return
    }
    const finish = parseCompanionFinish(iq)
    const phoneNumber = finish.jid.split('@')[0]?.split(':')[0] ?? ''
    const request = this.requests.get(phoneNumber)
    const outOfOrder = late2026 && !request?.primaryHelloSent
    if (refusal || outOfOrder) {
      // The request is spent either way: the code the user was shown no longer links.
      const reason = refusal ? `companion_finish refused with ${refusal.code}` : 'companion_finish answered a frame that was not a primary hello'
      await connection.sendNode(errorIq(iq, refusal?.code ?? 400, refusal?.text ?? 'bad-request'))
      this.requests.delete(phoneNumber)
      this.retired.set(phoneNumber, reason)
      this.finishes.get(phoneNumber)?.reject(new LinkRefusedError(reason))
      this.finishes.delete(phoneNumber)
      return
    }
    // Answer first: Baileys waits for this result before it acknowledges the notification.
    await connection.sendNode(companionFinishResult({ iqId: finish.iqId }))
    this.finishes.get(phoneNumber)?.resolve(finish)
    this.finishes.delete(phoneNumber)
  }

  /** The request for this number; none when nobody asked or the server dropped it. */
  async pending(phoneNumber: string): Promise<LinkCodeRequest | undefined> {
    return this.requests.get(phoneNumber) ?? (this.retired.has(phoneNumber) ? undefined : await this.nextRequest(phoneNumber))
  }

  /** Why the server dropped the request for this number, when it did. */
  retiredReason(phoneNumber: string): string | undefined {
    return this.retired.get(phoneNumber)
  }

  /** Resolves with the companion's `companion_finish`, or fails when the server refuses it. */
  awaitFinish(phoneNumber: string): Promise<CompanionFinish> {
    return new Promise<CompanionFinish>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('companion did not finish pairing')), 10_000)
      this.finishes.set(phoneNumber, {
        resolve: finish => {
          clearTimeout(timer)
          resolve(finish)
        },
        reject: error => {
          clearTimeout(timer)
          reject(error)
        }
      })
    })
  }

  /** The companion finished: its code is spent. */
  finished(phoneNumber: string): void {
    this.requests.delete(phoneNumber)
  }

  /** The connection closed: the requests it made can no longer link. */
  forget(connection: Connection): void {
    for (const [phoneNumber, request] of this.requests) if (request.connection === connection) this.requests.delete(phoneNumber)
  }

  /**
   * rc14 sends its request without waiting for an answer, so it may still be on the wire: wait
   * until the server registered it, or refused it.
   */
  private nextRequest(phoneNumber: string, timeoutMs = 5_000): Promise<LinkCodeRequest | undefined> {
    const { events } = this.deps
    return new Promise(resolve => {
      const onAnswer = (event: { phoneNumber: string }) => {
        if (event.phoneNumber !== phoneNumber) return
        done()
        resolve(this.requests.get(phoneNumber))
      }
      const done = () => {
        clearTimeout(timer)
        events.off('pairing-code-requested', onAnswer)
        events.off('pairing-code-refused', onAnswer)
      }
      const timer = setTimeout(() => {
        done()
        resolve(undefined)
      }, timeoutMs)
      events.on('pairing-code-requested', onAnswer)
      events.on('pairing-code-refused', onAnswer)
    })
  }
}
