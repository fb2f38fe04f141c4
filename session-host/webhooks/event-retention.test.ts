import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { and, eq } from 'drizzle-orm'
import { openDatabase } from '../db/connection.ts'
import { sessions, webhookDeliveries, webhookEvents } from '../db/schema.ts'
import { setSessionEndpoint, syncGlobalEndpoint } from './endpoints.ts'
import { DELIVERED_EVENT_RETENTION_MS, pruneDeliveredEvents } from './event-retention.ts'
import { recordEvent } from './record-event.ts'

const SECRET = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`
const DAY = 24 * 60 * 60 * 1000

describe('webhook event retention', () => {
  const dir = mkdtempSync(join(tmpdir(), 'retention-'))
  after(() => rmSync(dir, { recursive: true, force: true }))

  it('removes week-old events once every endpoint got them, and keeps pending and dead ones', () => {
    const database = openDatabase(join(dir, 'host.db'))
    const { db } = database
    const t0 = 1_800_000_000_000
    db.insert(sessions).values({ id: 'shop-1' }).run()
    setSessionEndpoint(db, { sessionId: 'shop-1', url: 'https://one.example/hook', newSecret: SECRET, now: t0 })
    syncGlobalEndpoint(db, { url: 'https://ops.example/hook', secrets: [SECRET], events: ['message.received'] })
    const emit = (n: number, at: number) => recordEvent(db, { sessionId: 'shop-1', type: 'message.received', data: { n }, at })!
    const mark = (eventId: string, status: 'delivered' | 'dead') =>
      db.update(webhookDeliveries).set({ status }).where(eq(webhookDeliveries.eventId, eventId)).run()

    const delivered = emit(1, t0)
    const dead = emit(2, t0)
    const pending = emit(3, t0)
    const halfDelivered = emit(4, t0)
    const recent = emit(5, t0 + 6 * DAY)
    mark(delivered, 'delivered')
    mark(dead, 'dead')
    mark(recent, 'delivered')
    const endpoints = db.select({ endpointId: webhookDeliveries.endpointId }).from(webhookDeliveries).where(eq(webhookDeliveries.eventId, halfDelivered)).all()
    assert.equal(endpoints.length, 2, 'both endpoints want message.received')
    db.update(webhookDeliveries)
      .set({ status: 'delivered' })
      .where(and(eq(webhookDeliveries.eventId, halfDelivered), eq(webhookDeliveries.endpointId, endpoints[0]!.endpointId)))
      .run()

    assert.equal(pruneDeliveredEvents(db, t0 + DELIVERED_EVENT_RETENTION_MS - 1), 0, 'nothing goes before a week')
    assert.equal(pruneDeliveredEvents(db, t0 + DELIVERED_EVENT_RETENTION_MS), 1)
    const left = db
      .select({ id: webhookEvents.id })
      .from(webhookEvents)
      .all()
      .map(e => e.id)
    assert.deepEqual(new Set(left), new Set([dead, pending, halfDelivered, recent]))
    assert.equal(db.select().from(webhookDeliveries).where(eq(webhookDeliveries.eventId, delivered)).all().length, 0, 'its deliveries went with it')

    // Later events still get their own place in the session's sequence.
    assert.ok(emit(6, t0 + 8 * DAY))
    database.close()
  })

  it('removes at most one batch per call', () => {
    const database = openDatabase(join(dir, 'batch.db'))
    const { db } = database
    db.insert(sessions).values({ id: 'shop-1' }).run()
    setSessionEndpoint(db, { sessionId: 'shop-1', url: 'https://one.example/hook', newSecret: SECRET, now: 0 })
    for (let n = 0; n < 5; n++) recordEvent(db, { sessionId: 'shop-1', type: 'message.received', data: { n }, at: 0 })
    db.update(webhookDeliveries).set({ status: 'delivered' }).run()
    assert.equal(pruneDeliveredEvents(db, 8 * DAY, { batch: 3 }), 3)
    assert.equal(pruneDeliveredEvents(db, 8 * DAY, { batch: 3 }), 2)
    assert.equal(db.select().from(webhookEvents).all().length, 0)
    database.close()
  })
})
