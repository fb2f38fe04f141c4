import type { EventEmitter } from 'node:events'
import type { Connection } from './connection.ts'
import type { Directory } from './directory.ts'
import type { IqRefusal } from './iq-answers.ts'
import { messageCappingNotification } from './message-capping.ts'
import type { NewChatCap } from './message-capping.ts'
import { reachoutTimelockNotification } from './reachout-timelock.ts'
import type { ReachoutTimelock } from './reachout-timelock.ts'
import type { SimServer } from './sim-server.ts'
import { newMessageId, now } from './stanza-attrs.ts'

/**
 * The failures a test makes the server show (each described on `WaSim`), and what the server
 * asks about them as it serves.
 */
export class SimFaults {
  private down = false
  private readonly muted = new Set<Connection>()
  private readonly iqRefusals: (IqRefusal & { key: string })[] = []
  private readonly sendRefusals = new Map<string, string>()
  private readonly reachoutTimelocks = new Map<string, ReachoutTimelock>()
  private readonly newChatCaps = new Map<string, NewChatCap>()
  /** Whom each capped account has written to: only a first message to someone uses the cap. */
  private readonly chatsOf = new Map<string, Set<string>>()

  constructor(private readonly deps: { directory: Directory; events: EventEmitter; server: SimServer }) {}

  outage(down: boolean): void {
    this.down = down
    if (down) this.dropAll()
  }

  dropAll(): void {
    this.deps.server.dropAll()
  }

  drop(accountPn: string): void {
    for (const connection of this.deps.server.liveConnections(accountPn)) connection.drop()
  }

  logout(accountPn: string, deviceId?: number): void {
    const account = this.deps.directory.requireAccount(accountPn)
    for (const device of [...account.devices.values()]) {
      if (deviceId !== undefined && device.id !== deviceId) continue
      account.devices.delete(device.id)
      this.deps.events.emit('state-changed', 'devices')
      for (const connection of this.deps.server.liveConnections(accountPn, device.id)) {
        void connection.streamError({ tag: 'stream:error', attrs: { code: '401' }, content: [{ tag: 'conflict', attrs: { type: 'device_removed' } }] })
      }
    }
  }

  replaceSession(accountPn: string): void {
    for (const connection of this.deps.server.liveConnections(accountPn)) {
      void connection.streamError({ tag: 'stream:error', attrs: {}, content: [{ tag: 'conflict', attrs: { type: 'replaced' } }] })
    }
  }

  refuseNextIq(keyPrefix: string, code: number, text: string): void {
    this.iqRefusals.push({ key: keyPrefix, code, text })
  }

  refuseMessagesTo(pn: string, code: string | undefined): void {
    if (code === undefined) this.sendRefusals.delete(pn)
    else this.sendRefusals.set(pn, code)
  }

  setReachoutTimelock(accountPn: string, lock: ReachoutTimelock | undefined, push: boolean): void {
    const account = this.deps.directory.requireAccount(accountPn)
    if (lock) this.reachoutTimelocks.set(account.pn, lock)
    else this.reachoutTimelocks.delete(account.pn)
    if (push) for (const device of account.devices.values()) this.deps.server.deliver(device, reachoutTimelockNotification(newMessageId(), now(), lock))
  }

  setNewChatCap(accountPn: string, cap: NewChatCap | undefined, push: boolean): void {
    const account = this.deps.directory.requireAccount(accountPn)
    if (cap) this.newChatCaps.set(account.pn, { ...cap })
    else this.newChatCaps.delete(account.pn)
    if (push) this.pushNewChatCap(account.pn)
  }

  halfDead(accountPn: string): void {
    for (const connection of this.deps.server.liveConnections(accountPn)) connection.stall()
  }

  mute(accountPn: string): void {
    for (const connection of this.deps.server.liveConnections(accountPn)) this.muted.add(connection)
  }

  // ---- what the server asks ------------------------------------------------------------------

  get refusesConnections(): boolean {
    return this.down
  }

  ignores(connection: Connection): boolean {
    return this.muted.has(connection)
  }

  /** A refusal answers one query only. */
  takeIqRefusal(key: string): IqRefusal | undefined {
    const refusal = this.iqRefusals.find(r => key.startsWith(r.key))
    if (refusal) this.iqRefusals.splice(this.iqRefusals.indexOf(refusal), 1)
    return refusal
  }

  reachoutTimelock(accountPn: string): ReachoutTimelock | undefined {
    return this.reachoutTimelocks.get(accountPn)
  }

  newChatCap(accountPn: string): NewChatCap | undefined {
    return this.newChatCaps.get(accountPn)
  }

  /**
   * A message the server accepted from a capped account: a first one to someone uses the cap, and
   * the one that fills it makes the server push the CAPPED state, as WhatsApp does.
   */
  noteAccepted(accountPn: string, to: string): void {
    const cap = this.newChatCaps.get(accountPn)
    if (!cap) return
    const chats = this.chatsOf.get(accountPn) ?? new Set<string>()
    this.chatsOf.set(accountPn, chats)
    if (chats.has(to)) return
    chats.add(to)
    cap.used += 1
    if (cap.used >= cap.total) this.pushNewChatCap(accountPn)
  }

  /** The error ack a test set for messages to this number. */
  sendRefusal(pn: string): string | undefined {
    return this.sendRefusals.get(pn)
  }

  private pushNewChatCap(accountPn: string): void {
    const account = this.deps.directory.requireAccount(accountPn)
    const cap = this.newChatCaps.get(accountPn)
    for (const device of account.devices.values()) this.deps.server.deliver(device, messageCappingNotification(newMessageId(), now(), cap))
  }

  forget(connection: Connection): void {
    this.muted.delete(connection)
  }
}
