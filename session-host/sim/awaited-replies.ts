import type { EventEmitter } from 'node:events'
import type { BinaryNode } from '@whiskeysockets/baileys'
import type { Connection } from './connection.ts'
import { statusRecycleError } from './server-2026-stanzas.ts'
import type { SimLogger, WaSimOptions } from './sim-options.ts'

type Waiter = { resolve(node: BinaryNode): void; reject(error: Error): void; timer: NodeJS.Timeout }

/**
 * What the server waits for from clients: answers to its own queries, acks of notifications the
 * companion must act on, and acks of status updates, whose absence recycles the stream.
 */
export class AwaitedReplies {
  private readonly answers = new Map<string, Waiter>()
  private readonly notificationAcks = new Map<string, (ack: BinaryNode) => void>()
  /** Per connection, the un-acked `<status>` stanzas it was sent and the recycle timer of each. */
  private readonly statusTimers = new Map<Connection, Map<string, NodeJS.Timeout>>()

  constructor(private readonly deps: { options: WaSimOptions; logger: SimLogger; events: EventEmitter }) {}

  /** Resolves with the client's answer to the server's iq `id`. */
  awaitAnswer(id: string, timeoutMs = 10_000): Promise<BinaryNode> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.answers.delete(id)
        reject(new Error(`no answer to server iq ${id}`))
      }, timeoutMs)
      this.answers.set(id, { resolve, reject, timer })
    })
  }

  /** A client's `result` or `error` iq: the answer someone may await. */
  answered(iq: BinaryNode): void {
    const id = iq.attrs.id ?? ''
    const waiter = this.answers.get(id)
    if (!waiter) return
    this.answers.delete(id)
    clearTimeout(waiter.timer)
    waiter.resolve(iq)
  }

  /** Sends a notification and resolves with whether the client acked it within `ackTimeoutMs`. */
  sendAwaitingAck(connection: Connection, node: BinaryNode): Promise<boolean> {
    const id = node.attrs.id ?? ''
    return new Promise(resolve => {
      const timer = setTimeout(() => {
        this.notificationAcks.delete(id)
        resolve(false)
      }, this.deps.options.ackTimeoutMs ?? 5_000)
      this.notificationAcks.set(id, () => {
        clearTimeout(timer)
        this.notificationAcks.delete(id)
        resolve(true)
      })
      void connection.sendNode(node)
    })
  }

  onAck(connection: Connection, ack: BinaryNode): void {
    const id = ack.attrs.id ?? ''
    if (ack.attrs.class === 'status' && connection.device?.pendingStatuses.delete(id)) {
      clearTimeout(this.statusTimers.get(connection)?.get(id))
      this.statusTimers.get(connection)?.delete(id)
      this.deps.events.emit('status-acked', { accountPn: connection.device.account.pn, deviceId: connection.device.id, id })
      return
    }
    if (ack.attrs.class === 'notification') this.notificationAcks.get(id)?.(ack)
  }

  /** Sends a status update; if the device leaves it un-acked for the budget, the stream is recycled. */
  sendStatus(connection: Connection, status: BinaryNode): void {
    const id = status.attrs.id ?? ''
    void connection.sendNode(status)
    const timers = this.statusTimers.get(connection) ?? new Map<string, NodeJS.Timeout>()
    this.statusTimers.set(connection, timers)
    clearTimeout(timers.get(id))
    timers.set(
      id,
      setTimeout(
        () => {
          timers.delete(id)
          if (!connection.isOpen || !connection.device?.pendingStatuses.has(id)) return
          this.deps.logger.debug({ accountPn: connection.device.account.pn, id }, 'sim recycles a stream that owes a status ack')
          this.deps.events.emit('stream-recycled', { accountPn: connection.device.account.pn, deviceId: connection.device.id, statusId: id })
          void connection.streamError(statusRecycleError(status))
        },
        this.deps.options.statusAckBudgetMs ?? 50 * 60_000
      )
    )
  }

  /** The connection closed: its status updates wait for the device's next stream. */
  forget(connection: Connection): void {
    for (const timer of this.statusTimers.get(connection)?.values() ?? []) clearTimeout(timer)
    this.statusTimers.delete(connection)
  }

  stop(): void {
    for (const waiter of this.answers.values()) {
      clearTimeout(waiter.timer)
      waiter.reject(new Error('emulator stopped'))
    }
    this.answers.clear()
    this.notificationAcks.clear()
    for (const timers of this.statusTimers.values()) for (const timer of timers.values()) clearTimeout(timer)
    this.statusTimers.clear()
  }
}
