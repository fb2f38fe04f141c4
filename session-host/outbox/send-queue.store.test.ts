import { afterEach, beforeEach, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { asc, eq } from 'drizzle-orm'
import pino from 'pino'
import { IDEMPOTENCY_KEY_TTL_MS } from '../../shared/idempotency.ts'
import { ENGINES, openTestDatabase } from '../../test/support/test-database.ts'
import type { TestDatabase } from '../../test/support/test-database.ts'
import { tablesOf, writeTransaction } from '../db/database.ts'
import type { Fence } from '../fleet/session-leases.ts'
import type { SessionEvent } from '../sessions/session-event.ts'
import { addLeasedSession } from '../../test/support/leased-session.ts'
import { forgetExpiredIdempotencyKeys } from './idempotency-retention.ts'
import { createPayloadCipher } from './payload-cipher.ts'
import { SendQueue } from './send-queue.ts'
import type { EnqueueInput, MessageChange } from './send-queue.ts'

const T0 = 1_800_000_000_000
const ALICE = '15550002222@s.whatsapp.net'
const cipher = createPayloadCipher('x'.repeat(32))
const logger = pino({ level: 'silent' })
const text = (body: string): EnqueueInput['content'] => ({ content: { text: body } })

/** A unique index's refusal, as each engine's driver reports it under drizzle's query error. */
const uniqueViolation = (error: unknown): boolean => {
  const code = (error as { cause?: { code?: unknown } }).cause?.code
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === '23505'
}

for (const engine of ENGINES)
  describe(`send queue store (${engine})`, () => {
    let database: TestDatabase
    let now = T0
    /** Each change with the status its own transaction reads back, which only it can see before it commits. */
    let changes: (MessageChange & { seen: string | undefined })[]
    let failChange: Error | undefined
    let queue: SendQueue
    let fences: Map<string, Fence>

    beforeEach(async () => {
      database = await openTestDatabase(engine)
      now = T0
      changes = []
      failChange = undefined
      // No WhatsApp socket: the queue never sends, so each test moves rows itself where it needs to.
      queue = new SendQueue({
        db: database.db,
        cipher,
        logger,
        socketOf: () => undefined,
        fenceOf: sessionId => fences.get(sessionId),
        hostId: 'test-host',
        clock: () => now,
        onChange: async (tx, change) => {
          const { messages } = tablesOf(tx)
          const [row] = await tx.select({ status: messages.status }).from(messages).where(eq(messages.id, change.message.messageId))
          changes.push({ ...change, seen: row?.status })
          if (failChange) throw failChange
        }
      })
      fences = new Map([
        ['shop-1', await addLeasedSession(database.db, 'shop-1')],
        ['shop-2', await addLeasedSession(database.db, 'shop-2')]
      ])
    })
    afterEach(async () => {
      queue.stop()
      await database.dispose()
    })

    const enqueue = (input: Partial<EnqueueInput> & { sessionId: string }) =>
      writeTransaction(database.db, tx => queue.enqueue(tx, { jid: ALICE, kind: 'text', content: text('hello'), ...input }))
    const row = async (messageId: string) => {
      const { messages } = tablesOf(database.db)
      const [found] = await database.db.select().from(messages).where(eq(messages.id, messageId))
      assert.ok(found, `message ${messageId} is stored`)
      return found
    }
    const keyed = (sessionId: string, key: string, hash = `hash-of-${key}`) => enqueue({ sessionId, idempotency: { key, hash } })

    describe('enqueue', () => {
      it('records a queued row under the WhatsApp id it will keep, with its content sealed to that id', async () => {
        const view = await enqueue({ sessionId: 'shop-1', content: text('code 123456') })
        assert.match(view.messageId, /^3EB0[0-9A-F]+$/)
        assert.deepEqual(
          { status: view.status, to: view.to, timestamp: view.timestamp, sentAt: view.sentAt },
          { status: 'queued', to: '+15550002222', timestamp: new Date(T0).toISOString(), sentAt: null }
        )
        assert.deepEqual(await queue.view('shop-1', view.messageId), view)
        const stored = await row(view.messageId)
        assert.equal(stored.status, 'queued')
        assert.ok(stored.payload && !stored.payload.includes('123456'), 'the body is not stored in the clear')
        assert.deepEqual(cipher.open(view.messageId, stored.payload), { content: text('code 123456') })
      })

      it('gives each message the next place in its session line, even when the clock does not move', async () => {
        const first = [await enqueue({ sessionId: 'shop-1' }), await enqueue({ sessionId: 'shop-1' })]
        const other = await enqueue({ sessionId: 'shop-2' })
        const third = await enqueue({ sessionId: 'shop-1' })
        const { messages } = tablesOf(database.db)
        const line = await database.db
          .select({ id: messages.id, seq: messages.seq, createdAt: messages.createdAt })
          .from(messages)
          .where(eq(messages.sessionId, 'shop-1'))
          .orderBy(asc(messages.seq))
        assert.deepEqual(
          line.map(m => [m.id, m.seq]),
          [...first, third].map((m, i) => [m.messageId, i + 1])
        )
        assert.ok(line.every(m => m.createdAt.getTime() === T0))
        assert.equal((await row(other.messageId)).seq, 1)
      })

      it('keeps the line without gaps or ties when many sends for a session are accepted at once', async () => {
        // On PostgreSQL these are concurrent transactions on the pool's connections, which only
        // the session's lock keeps from reading the same last place; SQLite runs them one by one.
        const views = await Promise.all(Array.from({ length: 10 }, () => enqueue({ sessionId: 'shop-1' })))
        const seqs = await Promise.all(views.map(async view => (await row(view.messageId)).seq))
        assert.deepEqual(
          [...seqs].sort((a, b) => Number(a) - Number(b)),
          [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
        )
      })
    })

    describe('idempotency keys', () => {
      it('finds the earlier message for the same key in the same session, and not in another session', async () => {
        const earlier = await keyed('shop-1', 'order-42')
        const found = await queue.findByIdempotencyKey(database.db, 'shop-1', 'order-42')
        assert.deepEqual(found, { ...earlier, requestHash: 'hash-of-order-42' })
        assert.equal(await queue.findByIdempotencyKey(database.db, 'shop-2', 'order-42'), undefined)
        assert.equal(await queue.findByIdempotencyKey(database.db, 'shop-1', 'order-43'), undefined)
        // The key is the session's own: another session may use it for its own message.
        assert.equal((await keyed('shop-2', 'order-42')).status, 'queued')
      })

      it('forgets a key once it is IDEMPOTENCY_KEY_TTL_MS old, so the same key sends anew', async () => {
        const earlier = await keyed('shop-1', 'order-42')
        now = T0 + IDEMPOTENCY_KEY_TTL_MS - 1
        assert.equal((await queue.findByIdempotencyKey(database.db, 'shop-1', 'order-42'))?.messageId, earlier.messageId)
        now = T0 + IDEMPOTENCY_KEY_TTL_MS
        assert.equal(await queue.findByIdempotencyKey(database.db, 'shop-1', 'order-42'), undefined)
        const stored = await row(earlier.messageId)
        assert.deepEqual([stored.idempotencyKey, stored.requestHash], [null, null])
        const again = await keyed('shop-1', 'order-42')
        assert.notEqual(again.messageId, earlier.messageId)
        assert.equal((await queue.findByIdempotencyKey(database.db, 'shop-1', 'order-42'))?.messageId, again.messageId)
      })

      it('refuses a second message with the same live key in the same session', async () => {
        await keyed('shop-1', 'order-42')
        await assert.rejects(keyed('shop-1', 'order-42', 'another-hash'), uniqueViolation)
        const { messages } = tablesOf(database.db)
        assert.equal((await database.db.select().from(messages).where(eq(messages.sessionId, 'shop-1'))).length, 1, 'the refused message left no row')
      })

      it('the sweep forgets only keys past their time, and says how many', async () => {
        const old = [await keyed('shop-1', 'a'), await keyed('shop-2', 'b')]
        const unkeyed = await enqueue({ sessionId: 'shop-1' })
        now = T0 + 60_000
        const recent = await keyed('shop-1', 'c')

        assert.equal(await forgetExpiredIdempotencyKeys(database.db, T0 + IDEMPOTENCY_KEY_TTL_MS - 1), 0)
        assert.equal(await forgetExpiredIdempotencyKeys(database.db, T0 + IDEMPOTENCY_KEY_TTL_MS), 2)
        assert.equal(await forgetExpiredIdempotencyKeys(database.db, T0 + IDEMPOTENCY_KEY_TTL_MS), 0)
        for (const message of [...old, unkeyed]) assert.equal((await row(message.messageId)).idempotencyKey, null)
        assert.deepEqual([(await row(recent.messageId)).idempotencyKey, (await row(recent.messageId)).requestHash], ['c', 'hash-of-c'])
        assert.equal((await row(old[0]!.messageId)).status, 'queued', 'the message itself stays')
      })

      it('the sweep takes at most one batch per call', async () => {
        for (const key of ['a', 'b', 'c']) await keyed('shop-1', key)
        const later = T0 + IDEMPOTENCY_KEY_TTL_MS
        assert.equal(await forgetExpiredIdempotencyKeys(database.db, later, 2), 2)
        assert.equal(await forgetExpiredIdempotencyKeys(database.db, later, 2), 1)
      })
    })

    describe('statuses', () => {
      // What the drain does once it wrote the message to a socket; with no socket here, the test does it.
      const markSending = async (messageId: string) => {
        const { messages } = tablesOf(database.db)
        await database.db.update(messages).set({ status: 'sending' }).where(eq(messages.id, messageId))
      }
      const ack = (messageId: string): SessionEvent => ({ type: 'message-ack', sessionId: 'shop-1', messageId })
      const receipt = (messageId: string, status: 'sent' | 'delivered' | 'read'): SessionEvent => ({
        type: 'message-status',
        sessionId: 'shop-1',
        messageId,
        status
      })

      it('moves forward with the ack and the receipts, and never back', async () => {
        const { messageId } = await enqueue({ sessionId: 'shop-1' })
        await markSending(messageId)

        now = T0 + 1_000
        await queue.onSessionEvent(ack(messageId))
        const sent = await queue.view('shop-1', messageId)
        assert.deepEqual([sent.status, sent.sentAt], ['sent', new Date(T0 + 1_000).toISOString()])
        assert.equal((await row(messageId)).payload, null, 'the body is wiped once it is sent')

        now = T0 + 2_000
        await queue.onSessionEvent(receipt(messageId, 'delivered'))
        const delivered = await queue.view('shop-1', messageId)
        assert.deepEqual([delivered.status, delivered.deliveredAt], ['delivered', new Date(T0 + 2_000).toISOString()])

        // A late ack or 'sent' receipt after the delivery receipt leaves it delivered.
        now = T0 + 3_000
        await queue.onSessionEvent(receipt(messageId, 'sent'))
        await queue.onSessionEvent(ack(messageId))
        assert.deepEqual(await queue.view('shop-1', messageId), delivered)

        assert.deepEqual(
          changes.map(c => [c.previous, c.message.status, c.seen]),
          [
            ['sending', 'sent', 'sent'],
            ['sent', 'delivered', 'delivered']
          ]
        )
      })

      it('applies events in the order they came, even when not awaited one by one', async () => {
        const { messageId } = await enqueue({ sessionId: 'shop-1' })
        await markSending(messageId)
        await Promise.all([
          queue.onSessionEvent(ack(messageId)),
          queue.onSessionEvent(receipt(messageId, 'delivered')),
          queue.onSessionEvent(receipt(messageId, 'read'))
        ])
        assert.equal((await queue.view('shop-1', messageId)).status, 'read')
        assert.deepEqual(
          changes.map(c => c.message.status),
          ['sent', 'delivered', 'read']
        )
      })

      it('fails a queued message whose deadline passed, and only that one', async () => {
        const expiring = await enqueue({ sessionId: 'shop-1', notAfter: new Date(T0 + 1_000) })
        const later = await enqueue({ sessionId: 'shop-1', notAfter: new Date(T0 + 10_000) })
        const whenever = await enqueue({ sessionId: 'shop-2' })

        now = T0 + 999
        await queue.sweep()
        assert.equal(changes.length, 0)

        now = T0 + 1_000
        await queue.sweep()
        const failed = await queue.view('shop-1', expiring.messageId)
        assert.equal(failed.status, 'failed')
        assert.match(failed.error ?? '', /^expired_before_send/)
        assert.equal(failed.failedAt, new Date(T0 + 1_000).toISOString())
        assert.equal((await row(expiring.messageId)).payload, null, 'the body is wiped once it failed')
        assert.equal((await queue.view('shop-1', later.messageId)).status, 'queued')
        assert.equal((await queue.view('shop-2', whenever.messageId)).status, 'queued')
        assert.deepEqual(
          changes.map(c => [c.message.messageId, c.previous, c.message.status, c.seen]),
          [[expiring.messageId, 'queued', 'failed', 'failed']]
        )

        await queue.sweep()
        assert.equal(changes.length, 1, 'a failed message is not failed again')
      })

      it('undoes a change whose onChange fails: it runs in the same transaction', async () => {
        const expiring = await enqueue({ sessionId: 'shop-1', notAfter: new Date(T0 + 1_000) })
        now = T0 + 1_000
        failChange = new Error('the webhook outbox refused it')
        await assert.rejects(queue.sweep(), /the webhook outbox refused it/)
        assert.equal(changes.length, 1)
        const stored = await row(expiring.messageId)
        assert.deepEqual([stored.status, stored.error, stored.failedAt], ['queued', null, null])
        assert.ok(stored.payload, 'the body is kept for the next try')

        failChange = undefined
        await queue.sweep()
        assert.equal((await queue.view('shop-1', expiring.messageId)).status, 'failed')
      })
    })
  })
