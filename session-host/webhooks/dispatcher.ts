import { and, asc, eq, gt, lte, min, sql } from 'drizzle-orm'
import type { Logger } from 'pino'
import type { WebhookDeliveryRequest, WebhookDeliveryResult } from '../../shared/host-api/webhook-delivery.ts'
import type { WebhookEventType } from '../../shared/webhook-events.ts'
import { tablesOf } from '../db/database.ts'
import type { Db, Tables } from '../db/database.ts'
import { sessionsHandledHere } from '../fleet/session-leases.ts'
import { activeSecrets } from './endpoints.ts'
import { DEFAULT_RETRY_POLICY, nextAttemptAt } from './retry-schedule.ts'
import type { RetryPolicy } from './retry-schedule.ts'

export type SendWebhook = (request: WebhookDeliveryRequest) => Promise<WebhookDeliveryResult>

export type Timers = {
  setTimeout(callback: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

export type DispatcherDeps = {
  db: Db
  send: SendWebhook
  logger: Logger
  clock?: () => number
  timers?: Timers
  random?: () => number
  retry?: Partial<RetryPolicy>
  /** Streams delivered at the same time. */
  concurrency?: number
  /** How often to look for work when nothing is due sooner (events written by other code). */
  pollMs?: number
  /**
   * Which streams are this host's to deliver: those of the sessions it holds (one host per
   * session keeps each stream in order), and on the leader those of sessions nobody holds.
   */
  scope: () => { hostId: string; leader: boolean }
  /** Told of each attempt's result, as the status the delivery is in after it (the metrics count them). */
  onAttempt?: (status: 'delivered' | 'pending' | 'dead') => void
}

type Due = Tables['webhookDeliveries']['$inferSelect'] & {
  url: string
  secrets: { secret: string; expiresAt?: number }[]
  type: string
  payload: Record<string, unknown>
  createdAt: Date
}

/**
 * Delivers the outbox through the gateway. Each (endpoint, session) stream goes in order: only its
 * lowest pending delivery is ever taken, so event n+1 waits until n is delivered or dead. Failures
 * are retried with jittered exponential backoff for the retry window, then dead-lettered. All state
 * is in the database, so a restarted host carries on where it stopped.
 */
export class WebhookDispatcher {
  private readonly clock: () => number
  private readonly timers: Timers
  private readonly retry: RetryPolicy
  private readonly log: Logger
  private timer: unknown
  private running = false
  /** Attempts under way, by stream: a stream never has two, and no attempt waits for another stream's. */
  private readonly inFlight = new Map<string, Promise<void>>()
  private readonly tables: Tables
  /** The pass under way: passes never overlap, so a stream head is never started twice. */
  private pass: Promise<unknown> = Promise.resolve()

  constructor(private readonly deps: DispatcherDeps) {
    this.tables = tablesOf(deps.db)
    this.clock = deps.clock ?? Date.now
    this.timers = deps.timers ?? { setTimeout: (callback, ms) => setTimeout(callback, ms), clearTimeout: handle => clearTimeout(handle as NodeJS.Timeout) }
    this.retry = { ...DEFAULT_RETRY_POLICY, ...deps.retry }
    this.log = deps.logger.child({ module: 'webhooks' })
  }

  start(): void {
    if (this.running) return
    this.running = true
    this.schedule(0)
  }

  /** Stops taking work and waits for the attempts in flight to settle (their results are saved). */
  async stop(): Promise<void> {
    this.running = false
    this.timers.clearTimeout(this.timer)
    this.timer = undefined
    await Promise.all(this.inFlight.values())
  }

  /** New events were written, or an attempt finished: look for work now rather than at the next poll. */
  wake(): void {
    if (this.running) this.schedule(0)
  }

  /** Starts every due stream head there is room for and waits for them. Returns how many it started. */
  async runDue(): Promise<number> {
    const started = await this.startDue()
    await Promise.all(started)
    return started.length
  }

  private startDue(): Promise<Promise<void>[]> {
    const started = this.pass.then(() => this.startDueNow())
    this.pass = started.catch(() => undefined)
    return started
  }

  private async startDueNow(): Promise<Promise<void>[]> {
    const room = (this.deps.concurrency ?? 8) - this.inFlight.size
    if (room <= 0) return []
    // A stream whose attempt ends while this pass reads may come back still pending (read before
    // that attempt's result was saved): streams busy when the pass began wait for the next pass.
    const busyAtStart = new Set(this.inFlight.keys())
    const heads = (await this.dueHeads(this.clock(), room)).filter(head => !busyAtStart.has(streamKey(head)) && !this.inFlight.has(streamKey(head)))
    return heads.map(head => {
      const key = streamKey(head)
      const attempt = this.attempt(head)
        .catch(error => this.log.error({ err: error, eventId: head.eventId }, 'webhook attempt could not be saved'))
        .finally(() => {
          this.inFlight.delete(key)
          // Its stream may have a next event, and a slot is free.
          this.wake()
        })
      this.inFlight.set(key, attempt)
      return attempt
    })
  }

  private schedule(ms: number): void {
    this.timers.clearTimeout(this.timer)
    this.timer = this.timers.setTimeout(() => this.loop(), ms)
  }

  private loop(): void {
    this.timer = undefined
    if (!this.running) return
    void this.runLoop()
  }

  private async runLoop(): Promise<void> {
    let next = this.deps.pollMs ?? 1000
    try {
      // The attempts it started run on; each wakes the loop when it ends.
      const started = await this.startDue()
      this.log.trace({ started: started.length }, 'webhook dispatch pass')
      next = await this.msUntilNextDue()
    } catch (error) {
      this.log.error({ err: error }, 'webhook dispatch pass failed')
    }
    // Attempts wake the loop when they finish; otherwise the next retry, or the poll, does.
    if (this.running && this.timer === undefined) this.schedule(next)
  }

  private async msUntilNextDue(): Promise<number> {
    const { webhookDeliveries } = this.tables
    const poll = this.deps.pollMs ?? 1000
    const now = this.clock()
    const [row] = await this.deps.db
      .select({ next: min(webhookDeliveries.nextAttemptAt) })
      .from(webhookDeliveries)
      .where(and(eq(webhookDeliveries.status, 'pending'), gt(webhookDeliveries.nextAttemptAt, now)))
    if (row?.next == null) return poll
    return Math.max(0, Math.min(poll, row.next - now))
  }

  /**
   * Due stream heads, at most `room`, and at most half the slots for any one endpoint: a slow
   * receiver that serves many sessions (the global webhook) can hold only its share while the
   * others keep being delivered. Endpoints take turns in the order their oldest due head came due.
   */
  private async dueHeads(now: number, room: number): Promise<Due[]> {
    const { webhookDeliveries } = this.tables
    const perEndpoint = Math.max(1, Math.floor((this.deps.concurrency ?? 8) / 2))
    const endpoints = await this.deps.db
      .select({ endpointId: webhookDeliveries.endpointId, since: min(webhookDeliveries.nextAttemptAt) })
      .from(webhookDeliveries)
      .where(
        and(
          eq(webhookDeliveries.status, 'pending'),
          lte(webhookDeliveries.nextAttemptAt, now),
          sessionsHandledHere(this.deps.db, webhookDeliveries.sessionId, this.deps.scope())
        )
      )
      .groupBy(webhookDeliveries.endpointId)
      .orderBy(asc(min(webhookDeliveries.nextAttemptAt)))
    const picked: Due[] = []
    for (const { endpointId } of endpoints) {
      const busy = [...this.inFlight.keys()].filter(key => key.startsWith(`${endpointId}\n`)).length
      const share = Math.min(perEndpoint - busy, room - picked.length)
      if (share > 0) picked.push(...(await this.endpointHeads(endpointId, now, share, busy)))
      if (picked.length >= room) break
    }
    return picked
  }

  private async endpointHeads(endpointId: string, now: number, share: number, busy: number): Promise<Due[]> {
    const { webhookDeliveries, webhookEndpoints, webhookEvents } = this.tables
    const rows = await this.deps.db
      .select({
        delivery: webhookDeliveries,
        url: webhookEndpoints.url,
        secrets: webhookEndpoints.secrets,
        type: webhookEvents.type,
        payload: webhookEvents.payload,
        createdAt: webhookEvents.createdAt
      })
      .from(webhookDeliveries)
      .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
      .innerJoin(webhookEvents, eq(webhookEvents.id, webhookDeliveries.eventId))
      .where(
        and(
          eq(webhookDeliveries.endpointId, endpointId),
          eq(webhookDeliveries.status, 'pending'),
          lte(webhookDeliveries.nextAttemptAt, now),
          sessionsHandledHere(this.deps.db, webhookDeliveries.sessionId, this.deps.scope()),
          // Only the head of its stream: no earlier pending event to the same endpoint and session.
          sql`NOT EXISTS (SELECT 1 FROM ${webhookDeliveries} AS "earlier" WHERE "earlier"."endpoint_id" = ${webhookDeliveries.endpointId} AND "earlier"."session_id" = ${webhookDeliveries.sessionId} AND "earlier"."status" = 'pending' AND "earlier"."seq" < ${webhookDeliveries.seq})`
        )
      )
      .orderBy(asc(webhookDeliveries.nextAttemptAt))
      // Heads of streams already in flight come back too; they are skipped below.
      .limit(share + busy)
    return rows
      .map(({ delivery, ...rest }) => ({ ...delivery, ...rest }))
      .filter(row => !this.inFlight.has(streamKey(row)))
      .slice(0, share)
  }

  private async attempt(due: Due): Promise<void> {
    const secrets = activeSecrets(due.secrets, this.clock())
    let result: WebhookDeliveryResult
    try {
      result = await this.deps.send({
        eventId: due.eventId,
        type: due.type as WebhookEventType,
        timestamp: due.createdAt.toISOString(),
        data: due.payload,
        url: due.url,
        secrets
      })
    } catch (error) {
      result = { delivered: false, error: error instanceof Error ? error.message : 'send failed' }
    }
    await this.save(due, result)
  }

  private async save(due: Due, result: WebhookDeliveryResult): Promise<void> {
    const { webhookDeliveries } = this.tables
    const now = this.clock()
    const where = and(eq(webhookDeliveries.endpointId, due.endpointId), eq(webhookDeliveries.eventId, due.eventId), eq(webhookDeliveries.status, 'pending'))
    const attempts = due.attempts + 1
    if (result.delivered) {
      await this.deps.db
        .update(webhookDeliveries)
        .set({ status: 'delivered', attempts, lastAttemptAt: now, deliveredAt: now, lastError: null, lastStatusCode: result.status })
        .where(where)
      this.deps.onAttempt?.('delivered')
      return
    }
    const firstFailedAt = due.firstFailedAt ?? now
    const next = nextAttemptAt(this.retry, { attempts, firstFailedAt, now, ...(this.deps.random ? { random: this.deps.random } : {}) })
    const lastError = result.status ? `HTTP ${result.status}` : result.error
    const fields = { attempts, firstFailedAt, lastAttemptAt: now, lastError, lastStatusCode: result.status ?? null }
    const log = { eventId: due.eventId, sessionId: due.sessionId, endpointId: due.endpointId, attempts, error: lastError }
    if (next === undefined) {
      await this.deps.db
        .update(webhookDeliveries)
        .set({ ...fields, status: 'dead', deadAt: now })
        .where(where)
      this.deps.onAttempt?.('dead')
      this.log.warn(log, 'webhook dead-lettered after its last retry')
    } else {
      await this.deps.db
        .update(webhookDeliveries)
        .set({ ...fields, nextAttemptAt: next })
        .where(where)
      this.deps.onAttempt?.('pending')
      this.log.info({ ...log, retryInMs: next - now }, 'webhook delivery failed; will retry')
    }
  }
}

const streamKey = (due: { endpointId: string; sessionId: string }): string => `${due.endpointId}\n${due.sessionId}`
