import { afterEach, beforeEach, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { and, eq } from 'drizzle-orm'
import { ENGINES, openTestDatabase } from '../../test/support/test-database.ts'
import type { TestDatabase } from '../../test/support/test-database.ts'
import { tablesOf } from '../db/database.ts'
import { setSessionEndpoint, syncGlobalEndpoint } from './endpoints.ts'
import { DELIVERED_EVENT_RETENTION_MS, pruneDeliveredEvents, STREAM_EVENT_RETENTION_MS } from './event-retention.ts'
import { recordEvent } from './record-event.ts'

const SECRET = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`
const DAY = 24 * 60 * 60 * 1000

for (const engine of ENGINES)
  describe(`webhook event retention (${engine})`, () => {
    let database: TestDatabase
    beforeEach(async () => {
      database = await openTestDatabase(engine)
    })
    afterEach(() => database.dispose())

    it('removes week-old events once every endpoint got them, and keeps pending and dead ones', async () => {
      const { db } = database
      const { sessions, webhookDeliveries, webhookEvents } = tablesOf(db)
      const t0 = 1_800_000_000_000
      await db.insert(sessions).values({ id: 'shop-1' })
      await setSessionEndpoint(db, { sessionId: 'shop-1', url: 'https://one.example/hook', newSecret: SECRET, now: t0 })
      await syncGlobalEndpoint(db, { url: 'https://ops.example/hook', secrets: [SECRET], events: ['message.received'] })
      const emit = async (n: number, at: number) => (await recordEvent(db, { sessionId: 'shop-1', type: 'message.received', data: { n }, at }))!
      const mark = (eventId: string, status: 'delivered' | 'dead') => db.update(webhookDeliveries).set({ status }).where(eq(webhookDeliveries.eventId, eventId))

      const delivered = await emit(1, t0)
      const dead = await emit(2, t0)
      const pending = await emit(3, t0)
      const halfDelivered = await emit(4, t0)
      const recent = await emit(5, t0 + 6 * DAY)
      await mark(delivered, 'delivered')
      await mark(dead, 'dead')
      await mark(recent, 'delivered')
      const endpoints = await db
        .select({ endpointId: webhookDeliveries.endpointId })
        .from(webhookDeliveries)
        .where(eq(webhookDeliveries.eventId, halfDelivered))
      assert.equal(endpoints.length, 2, 'both endpoints want message.received')
      await db
        .update(webhookDeliveries)
        .set({ status: 'delivered' })
        .where(and(eq(webhookDeliveries.eventId, halfDelivered), eq(webhookDeliveries.endpointId, endpoints[0]!.endpointId)))

      assert.equal(await pruneDeliveredEvents(db, t0 + DELIVERED_EVENT_RETENTION_MS - 1), 0, 'nothing goes before a week')
      assert.equal(await pruneDeliveredEvents(db, t0 + DELIVERED_EVENT_RETENTION_MS), 1)
      const left = (await db.select({ id: webhookEvents.id }).from(webhookEvents)).map(e => e.id)
      assert.deepEqual(new Set(left), new Set([dead, pending, halfDelivered, recent]))
      assert.equal((await db.select().from(webhookDeliveries).where(eq(webhookDeliveries.eventId, delivered))).length, 0, 'its deliveries went with it')

      // Later events still get their own place in the session's sequence.
      assert.ok(await emit(6, t0 + 8 * DAY))
    })

    it('removes at most one batch per call', async () => {
      const { db } = database
      const { sessions, webhookDeliveries, webhookEvents } = tablesOf(db)
      await db.insert(sessions).values({ id: 'shop-1' })
      await setSessionEndpoint(db, { sessionId: 'shop-1', url: 'https://one.example/hook', newSecret: SECRET, now: 0 })
      for (let n = 0; n < 5; n++) await recordEvent(db, { sessionId: 'shop-1', type: 'message.received', data: { n }, at: 0 })
      await db.update(webhookDeliveries).set({ status: 'delivered' })
      assert.equal(await pruneDeliveredEvents(db, 8 * DAY, { batch: 3 }), 3)
      assert.equal(await pruneDeliveredEvents(db, 8 * DAY, { batch: 3 }), 2)
      assert.equal((await db.select().from(webhookEvents)).length, 0)
    })

    it('keeps an event no endpoint wanted a day, for the event stream, and one some endpoint wants until it got there', async () => {
      const { db } = database
      const { sessions, webhookEvents } = tablesOf(db)
      await db.insert(sessions).values([{ id: 'shop-1' }, { id: 'quiet' }])
      await setSessionEndpoint(db, { sessionId: 'shop-1', url: 'https://one.example/hook', newSecret: SECRET, now: 0 })
      const unwanted = await recordEvent(db, { sessionId: 'quiet', type: 'otp.status', data: {}, at: 0 })
      const pending = await recordEvent(db, { sessionId: 'shop-1', type: 'otp.status', data: {}, at: 0 })
      assert.equal(await pruneDeliveredEvents(db, STREAM_EVENT_RETENTION_MS - 1), 0, 'not before a day')
      assert.equal(await pruneDeliveredEvents(db, STREAM_EVENT_RETENTION_MS), 1)
      assert.deepEqual(
        (await db.select({ id: webhookEvents.id }).from(webhookEvents)).map(event => event.id),
        [pending],
        `${unwanted} went, the undelivered one stays`
      )
    })
  })
