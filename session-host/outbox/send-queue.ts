import { rmSync } from 'node:fs'
import { and, eq, gt, inArray, isNotNull, lte, ne, notExists, sql } from 'drizzle-orm'
import { generateMessageID } from '@whiskeysockets/baileys'
import type { WASocket } from '@whiskeysockets/baileys'
import type { Logger } from 'pino'
import { appError } from '../../shared/errors.ts'
import { tablesOf, writeTransaction } from '../db/database.ts'
import type { Db, DbExecutor, Tables, Transaction } from '../db/database.ts'
import { databaseNow, lockKey } from '../db/dialect-sql.ts'
import { fenceValues, leaseHeld } from '../fleet/session-leases.ts'
import type { Fence } from '../fleet/session-leases.ts'
import type { MessageView } from '../../shared/host-api/messages.ts'
import type { MessageStatus } from '../../shared/statuses.ts'
import type { SessionEvent } from '../sessions/session-event.ts'
import type { Outgoing } from '../messages/rich-content.ts'
import { sendOutgoing } from '../messages/send-outgoing.ts'
import { NOT_ON_WHATSAPP_FAILURE } from '../messages/recipient-check.ts'
import { refusalReason } from '../sessions/whatsapp-status.ts'
import { FINAL, FROM } from './message-status.ts'
import { messageView } from './message-view.ts'
import { claimQueued, nextQueued, statusOf, transitionTo } from './queue-statements.ts'
import type { PayloadCipher } from './payload-cipher.ts'
import { idempotencyCutoff } from './idempotency-retention.ts'

type Row = Tables['messages']['$inferSelect']

export type MessageChange = { message: MessageView; previous: MessageStatus }

export type EnqueueInput = {
  sessionId: string
  jid: string
  kind: string
  content: Outgoing
  /** Spooled files the content points at; removed once the message is sent or has failed. */
  files?: string[]
  otpId?: string
  notAfter?: Date
  idempotency?: { key: string; hash: string }
}

type Sealed = { content: Outgoing; files?: string[] }

export type SendQueueDeps = {
  db: Db
  cipher: PayloadCipher
  logger: Logger
  /** The session's socket while it is connected. */
  socketOf: (sessionId: string) => WASocket | undefined
  /** This host's lease on the session, while it holds one: each message is claimed for sending under it. */
  fenceOf: (sessionId: string) => Fence | undefined
  /** This host's id: on start it puts back in line only what no other live host is sending. */
  hostId: string
  clock?: () => number
  /** How long a sent message may wait for the server's ack before it counts as failed. */
  ackTimeoutMs?: number
  /** Whether WhatsApp knows the number (stored answers first): a message accepted while its session was away is checked here. */
  onWhatsApp?: (sessionId: string, socket: WASocket, jid: string) => Promise<boolean>
  /** Called inside the transaction that changed a message's status (webhook outbox, OTP status). */
  onChange?: (tx: Transaction, change: MessageChange) => Promise<void>
  /** Told of each status a message reached once it is stored (queued: in the caller's transaction); the metrics count them. */
  onStatus?: (message: MessageView) => void
}

/** Tries of a message (interrupted ones included) before a failure on a live connection ends it (`send_failed`). */
const MAX_SEND_ATTEMPTS = 3

/**
 * The durable send queue. Each send is a row before it is attempted; each session sends its rows
 * one at a time while it is connected, OTPs first, the others in order. A row is `sending` from the socket write until
 * the server's ack, which makes it `sent` (or `failed` when refused); receipts move it on to
 * `delivered` and `read`. After a crash or a drop, rows still `sending` go out again with the
 * same WhatsApp id.
 */
export class SendQueue {
  private readonly draining = new Map<string, boolean>()
  private readonly ackTimers = new Map<string, NodeJS.Timeout>()
  private readonly waiters = new Map<string, (() => void)[]>()
  private stopped = false
  private readonly clock: () => number
  private readonly messages: Tables['messages']
  /** Session events are applied one after another, in the order the sockets reported them. */
  private events: Promise<void> = Promise.resolve()

  constructor(private readonly deps: SendQueueDeps) {
    this.clock = deps.clock ?? Date.now
    this.messages = tablesOf(deps.db).messages
  }

  /**
   * Puts rows a crash left `sending` back in line (the host's upkeep then fails what expired
   * meanwhile), except those of sessions another host holds now: it may be sending them.
   */
  async start(): Promise<void> {
    const { messages } = this
    const { sessionLeases } = tablesOf(this.deps.db)
    const heldElsewhere = this.deps.db
      .select({ held: sql`1` })
      .from(sessionLeases)
      .where(
        and(eq(sessionLeases.sessionId, messages.sessionId), ne(sessionLeases.owner, this.deps.hostId), gt(sessionLeases.expiresAt, databaseNow(this.deps.db)))
      )
    await this.deps.db
      .update(messages)
      .set({ status: 'queued', updatedAt: new Date(this.clock()) })
      .where(and(eq(messages.status, 'sending'), notExists(heldElsewhere)))
  }

  stop(): void {
    this.stopped = true
    for (const timer of this.ackTimers.values()) clearTimeout(timer)
    this.ackTimers.clear()
  }

  /** Records a send; call inside the transaction that checks limits and idempotency. */
  async enqueue(tx: DbExecutor, input: EnqueueInput): Promise<MessageView> {
    const { messages } = tablesOf(tx)
    const id = generateMessageID()
    const now = new Date(this.clock())
    const sealed: Sealed = { content: input.content, ...(input.files?.length ? { files: input.files } : {}) }
    // The session's next place in line, computed by the INSERT (under the session's lock on PostgreSQL).
    await lockKey(tx, `messages:${input.sessionId}`)
    const [row] = await tx
      .insert(messages)
      .values({
        id,
        seq: sql`(SELECT COALESCE(MAX(${messages.seq}), 0) + 1 FROM ${messages} WHERE ${messages.sessionId} = ${input.sessionId})`,
        sessionId: input.sessionId,
        jid: input.jid,
        kind: input.kind,
        payload: this.deps.cipher.seal(id, sealed),
        otpId: input.otpId ?? null,
        notAfter: input.notAfter ?? null,
        idempotencyKey: input.idempotency?.key ?? null,
        requestHash: input.idempotency?.hash ?? null,
        createdAt: now,
        updatedAt: now
      })
      .returning()
    if (!row) throw new Error('enqueue: the insert returned no row')
    const view = messageView(row)
    this.deps.onStatus?.(view)
    return view
  }

  /**
   * The earlier message sent with this key, if any. Keys count for IDEMPOTENCY_KEY_TTL_MS: one
   * older than that which the sweep has not reached yet is forgotten here, so the key sends anew
   * (and the unique index lets the new message take it).
   */
  async findByIdempotencyKey(tx: DbExecutor, sessionId: string, key: string): Promise<(MessageView & { requestHash: string | null }) | undefined> {
    const { messages } = tablesOf(tx)
    const [row] = await tx
      .select()
      .from(messages)
      .where(and(eq(messages.sessionId, sessionId), eq(messages.idempotencyKey, key)))
    if (!row) return undefined
    if (row.createdAt <= idempotencyCutoff(this.clock())) {
      await tx.update(messages).set({ idempotencyKey: null, requestHash: null }).where(eq(messages.id, row.id))
      return undefined
    }
    return { ...messageView(row), requestHash: row.requestHash }
  }

  async view(sessionId: string, messageId: string): Promise<MessageView> {
    const { messages } = this
    const [row] = await this.deps.db
      .select()
      .from(messages)
      .where(and(eq(messages.sessionId, sessionId), eq(messages.id, messageId)))
    if (!row) throw appError('MESSAGE_NOT_FOUND', `Message ${messageId} does not exist in session ${sessionId}`)
    return messageView(row)
  }

  /** Resolves once the message has left `queued`/`sending`, or after `ms`, whichever is first. */
  async settled(messageId: string, ms: number): Promise<void> {
    const [row] = await statusOf(this.deps.db).execute({ messageId })
    if (!row || FINAL.has(row.status)) return
    await new Promise<void>(resolve => {
      const timer = setTimeout(done, ms)
      function done() {
        clearTimeout(timer)
        resolve()
      }
      this.waiters.set(messageId, [...(this.waiters.get(messageId) ?? []), done])
    })
  }

  /** Starts sending a session's queue if it is connected and not already sending. */
  kick(sessionId: string): void {
    if (this.stopped) return
    if (this.draining.has(sessionId)) {
      this.draining.set(sessionId, true)
      return
    }
    this.draining.set(sessionId, false)
    void this.drain(sessionId)
      .catch(error => this.deps.logger.error({ err: error, sessionId }, 'send queue stopped unexpectedly'))
      .finally(() => {
        const again = this.draining.get(sessionId)
        this.draining.delete(sessionId)
        if (again) this.kick(sessionId)
      })
  }

  /**
   * Follows the session: sends when it connects, and reads acks and receipts of what it sent.
   * Events are applied in the order they came; the promise settles once this one is.
   */
  onSessionEvent(event: SessionEvent): Promise<void> {
    const applied = this.events.then(() => this.apply(event))
    this.events = applied.catch(error => this.deps.logger.error({ err: error, sessionId: event.sessionId }, 'send queue could not apply a session event'))
    return applied
  }

  private async apply(event: SessionEvent): Promise<void> {
    const { messages } = this
    const fence = this.deps.fenceOf(event.sessionId)
    if (event.type === 'status' && event.status === 'connected' && fence) {
      // What was written but never acked before the drop (or the failover) goes out again, under the same id.
      await this.deps.db
        .update(messages)
        .set({ status: 'queued', updatedAt: new Date(this.clock()) })
        .where(and(eq(messages.sessionId, event.sessionId), eq(messages.status, 'sending'), leaseHeld(this.deps.db, event.sessionId, fence)))
      this.kick(event.sessionId)
    }
    if (event.type === 'status' && event.status !== 'connected') this.clearAckTimers(event.sessionId)
    if (event.type === 'message-ack') {
      if (event.error) await this.transition(event.messageId, 'failed', refusalReason(event.error))
      else await this.transition(event.messageId, 'sent')
    }
    if (event.type === 'message-status')
      await this.transition(event.messageId, event.status, event.status === 'failed' ? refusalReason(event.error) : undefined)
  }

  /** Fails queued messages whose deadline passed, even while their session is away. */
  async sweep(): Promise<void> {
    const { messages } = this
    const expired = await this.deps.db
      .select({ id: messages.id })
      .from(messages)
      .where(and(inArray(messages.status, ['queued', 'sending']), isNotNull(messages.notAfter), lte(messages.notAfter, new Date(this.clock()))))
    for (const { id } of expired) await this.expire(id)
  }

  private expire(messageId: string): Promise<void> {
    return this.transition(messageId, 'failed', 'expired_before_send: the OTP expired before the session could send it')
  }

  private async drain(sessionId: string): Promise<void> {
    while (!this.stopped) {
      const socket = this.deps.socketOf(sessionId)
      const fence = this.deps.fenceOf(sessionId)
      if (!socket || !fence) return
      const [row] = await nextQueued(this.deps.db).execute({ sessionId })
      if (!row?.payload) return
      if (row.notAfter && row.notAfter.getTime() <= this.clock()) {
        await this.expire(row.id)
        continue
      }
      // The claim names this host's lease in the same statement: a host that lost the session
      // (paused, cut off) claims nothing, so it cannot send a message the new owner sends.
      const [claimed] = await claimQueued(this.deps.db).execute({ messageId: row.id, sessionId, now: new Date(this.clock()), ...fenceValues(fence) })
      if (!claimed) {
        if (!(await this.stillQueued(row.id))) continue
        this.deps.logger.warn({ sessionId, messageId: row.id }, 'send refused: this host no longer holds the session')
        return
      }
      const { content } = this.deps.cipher.open<Sealed>(row.id, row.payload)
      try {
        if (this.deps.onWhatsApp && !(await this.deps.onWhatsApp(sessionId, socket, row.jid))) {
          await this.transition(row.id, 'failed', NOT_ON_WHATSAPP_FAILURE, ['sending'])
          continue
        }
        await sendOutgoing(socket, row.jid, content, row.id)
      } catch (error) {
        if (this.deps.socketOf(sessionId) !== socket) {
          // The socket went away mid-send: the row waits for the next connection.
          this.deps.logger.warn({ err: error, sessionId, messageId: row.id }, 'send interrupted; will retry after reconnect')
          await this.requeue(row.id)
          return
        }
        // The connection is fine, so the message itself cannot be sent (a media upload refused,
        // say): after a few tries in all (interrupted ones count too) it fails, so that it cannot
        // hold its session's queue forever.
        const attempts = row.attempts + 1
        this.deps.logger.warn({ err: error, sessionId, messageId: row.id, attempts }, 'send failed on a live connection')
        if (attempts >= MAX_SEND_ATTEMPTS)
          await this.transition(row.id, 'failed', `send_failed: ${error instanceof Error ? error.message : String(error)}`.slice(0, 500), ['sending'])
        else await this.requeue(row.id)
        continue
      }
      this.startAckTimer(sessionId, row.id)
    }
  }

  private async stillQueued(messageId: string): Promise<boolean> {
    const [row] = await statusOf(this.deps.db).execute({ messageId })
    return row?.status === 'queued'
  }

  /** Wakes the queues of these sessions that have messages waiting (accepted by another host, say). */
  async kickWaiting(sessionIds: string[]): Promise<void> {
    if (sessionIds.length === 0) return
    const { messages } = this
    const waiting = await this.deps.db
      .selectDistinct({ sessionId: messages.sessionId })
      .from(messages)
      .where(and(inArray(messages.sessionId, sessionIds), eq(messages.status, 'queued')))
    for (const { sessionId } of waiting) this.kick(sessionId)
  }

  /** A message being sent goes back to the queue, to be tried again. */
  private async requeue(messageId: string): Promise<void> {
    const { messages } = this
    await this.deps.db
      .update(messages)
      .set({ status: 'queued', updatedAt: new Date(this.clock()) })
      .where(and(eq(messages.id, messageId), eq(messages.status, 'sending')))
  }

  private startAckTimer(sessionId: string, messageId: string): void {
    const key = `${sessionId}\n${messageId}`
    const timer = setTimeout(() => {
      this.ackTimers.delete(key)
      this.transition(messageId, 'failed', 'not_acknowledged: WhatsApp did not confirm the message', ['sending']).catch(error =>
        this.deps.logger.error({ err: error, sessionId, messageId }, 'could not fail an unacknowledged message')
      )
    }, this.deps.ackTimeoutMs ?? 60_000)
    timer.unref()
    this.ackTimers.set(key, timer)
  }

  private clearAckTimers(sessionId: string): void {
    for (const [key, timer] of this.ackTimers) {
      if (!key.startsWith(`${sessionId}\n`)) continue
      clearTimeout(timer)
      this.ackTimers.delete(key)
    }
  }

  /** One guarded UPDATE: the database refuses a step backwards, so racing events cannot regress. */
  private async transition(messageId: string, next: MessageStatus, error?: string, from: MessageStatus[] = FROM[next]): Promise<void> {
    const now = new Date(this.clock())
    let changed: { row: Row; previous: MessageStatus; payload: string | null } | undefined
    await writeTransaction(this.deps.db, async tx => {
      const [before] = await statusOf(tx).execute({ messageId })
      if (!before || !from.includes(before.status)) return
      const [row] = await transitionTo(next, Boolean(error))(tx).execute({ messageId, now, error, from: JSON.stringify(from) })
      if (!row) return
      changed = { row, previous: before.status, payload: before.payload }
      await this.deps.onChange?.(tx, { message: messageView(row), previous: before.status })
    })
    if (!changed) return
    this.deps.onStatus?.(messageView(changed.row))
    if (FINAL.has(next)) {
      if (changed.payload) this.removeFiles(messageId, changed.payload)
      const key = `${changed.row.sessionId}\n${messageId}`
      clearTimeout(this.ackTimers.get(key))
      this.ackTimers.delete(key)
      for (const done of this.waiters.get(messageId) ?? []) done()
      this.waiters.delete(messageId)
    }
    this.deps.logger.debug({ sessionId: changed.row.sessionId, messageId, status: next, error }, 'message status')
  }

  private removeFiles(messageId: string, payload: string): void {
    const { files = [] } = this.deps.cipher.open<Sealed>(messageId, payload)
    for (const file of files) rmSync(file, { force: true })
  }
}
