import { eq, inArray } from 'drizzle-orm'
import { afterEach, beforeEach, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import pino from 'pino'
import type { WebhookDeliveryRequest, WebhookDeliveryResult } from '../../shared/host-api/webhook-delivery.ts'
import { ENGINES, openTestDatabase } from '../../test/support/test-database.ts'
import type { TestDatabase } from '../../test/support/test-database.ts'
import { tablesOf } from '../db/database.ts'
import type { Db } from '../db/database.ts'
import { listDeadLetters, replayDeadLetter } from './dead-letters.ts'
import { WebhookDispatcher } from './dispatcher.ts'
import { setSessionEndpoint, syncGlobalEndpoint } from './endpoints.ts'
import { queuedDeliveries, recordEvent } from './record-event.ts'

const logger = pino({ level: 'silent' })
const SECRET = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`

/** A receiver that the test switches on and off; it records every attempt it accepted. */
const receiver = () => {
  const state = { up: true, received: [] as WebhookDeliveryRequest[], attempts: 0 }
  const send = async (request: WebhookDeliveryRequest): Promise<WebhookDeliveryResult> => {
    state.attempts++
    if (!state.up) return { delivered: false, status: 503, error: 'HTTP 503' }
    state.received.push(request)
    return { delivered: true, status: 200 }
  }
  return { state, send }
}

/** A host alone with the database: the leader, holding no lease, so it delivers every session's stream. */
const ALONE = () => ({ hostId: 'test-host', leader: true })

for (const engine of ENGINES)
  describe(`webhook dispatcher (${engine})`, () => {
    let database: TestDatabase
    let now = 1_000_000
    const clock = () => now
    beforeEach(async () => {
      database = await openTestDatabase(engine)
      now = 1_000_000
    })
    afterEach(() => database.dispose())

    const seed = async (db: Db) => {
      await db.insert(tablesOf(db).sessions).values([{ id: 'shop-1' }, { id: 'shop-2' }])
      await setSessionEndpoint(db, { sessionId: 'shop-1', url: 'https://one.example/hook', newSecret: SECRET, now })
      await syncGlobalEndpoint(db, { url: 'https://ops.example/hook', secrets: [SECRET], events: ['message.received'] })
    }
    const emit = (db: Db, sessionId: string, n: number) => recordEvent(db, { sessionId, type: 'message.received', data: { n }, at: now })

    it('delivers each session in order, holding later events until the earlier one gets through', async () => {
      const { db } = database
      await seed(db)
      const { state, send } = receiver()
      const dispatcher = new WebhookDispatcher({ db, scope: ALONE, send, logger, clock, random: () => 1 })
      state.up = false
      for (let n = 0; n < 5; n++) {
        await emit(db, 'shop-1', n)
        await emit(db, 'shop-2', n)
      }
      // Down: each stream's first event is tried, nothing behind it.
      assert.equal(await dispatcher.runDue(), 3)
      assert.equal(await dispatcher.runDue(), 0)
      state.up = true
      now += 5_000
      while ((await dispatcher.runDue()) > 0);
      const stream = (url: string, sessionId: string) => state.received.filter(r => r.url === url && r.data.sessionId === sessionId).map(r => r.data.n)
      assert.deepEqual(stream('https://one.example/hook', 'shop-1'), [0, 1, 2, 3, 4])
      assert.deepEqual(stream('https://ops.example/hook', 'shop-1'), [0, 1, 2, 3, 4])
      assert.deepEqual(stream('https://ops.example/hook', 'shop-2'), [0, 1, 2, 3, 4])
      assert.deepEqual(stream('https://one.example/hook', 'shop-2'), [])
      // Both endpoints got the same event ids.
      const ids = (url: string) => state.received.filter(r => url === r.url && r.data.sessionId === 'shop-1').map(r => r.eventId)
      assert.deepEqual(ids('https://one.example/hook'), ids('https://ops.example/hook'))
    })

    it('queues deliveries only to the endpoints that want an event, and stores every event for the stream', async () => {
      const { db } = database
      await seed(db)
      const queuedBefore = queuedDeliveries()
      const unwanted = await recordEvent(db, { sessionId: 'shop-2', type: 'session.qr', data: {} })
      // The host wakes its dispatcher only when this count moves.
      assert.equal(queuedDeliveries(), queuedBefore, 'an event nobody wants queues nothing')
      const wanted = await recordEvent(db, { sessionId: 'shop-1', type: 'session.qr', data: {} })
      const { webhookDeliveries, webhookEvents } = tablesOf(db)
      const deliveriesOf = async (eventId: string) => (await db.select().from(webhookDeliveries).where(eq(webhookDeliveries.eventId, eventId))).length
      assert.equal(await deliveriesOf(unwanted), 0)
      assert.ok((await deliveriesOf(wanted)) > 0)
      assert.equal(queuedDeliveries(), queuedBefore + (await deliveriesOf(wanted)))
      assert.deepEqual(
        (
          await db
            .select({ id: webhookEvents.id })
            .from(webhookEvents)
            .where(inArray(webhookEvents.id, [unwanted, wanted]))
        ).length,
        2
      )
    })

    it('resumes after a restart: a new host on the same database delivers what the old one could not', async () => {
      const first = database
      await seed(first.db)
      const down = receiver()
      down.state.up = false
      const dispatcher = new WebhookDispatcher({ db: first.db, scope: ALONE, send: down.send, logger, clock, random: () => 1 })
      const ids: (string | undefined)[] = []
      for (let n = 0; n < 3; n++) ids.push(await emit(first.db, 'shop-1', n))
      await dispatcher.runDue()
      await dispatcher.stop()
      await first.close()

      const second = await database.connect()
      const up = receiver()
      const restarted = new WebhookDispatcher({ db: second.db, scope: ALONE, send: up.send, logger, clock, random: () => 1 })
      now += 5_000
      while ((await restarted.runDue()) > 0);
      assert.deepEqual(
        up.state.received.filter(r => r.url === 'https://one.example/hook').map(r => r.eventId),
        ids
      )
    })

    it('dead-letters after retrying for the whole window, lists it, and a replay delivers the same event id', async () => {
      const { db } = database
      await seed(db)
      const { state, send } = receiver()
      state.up = false
      const dispatcher = new WebhookDispatcher({ db, scope: ALONE, send, logger, clock, random: () => 1 })
      const dead = await emit(db, 'shop-2', 0)
      const next = await emit(db, 'shop-2', 1)
      let attempts = 0
      for (let hours = 0; hours <= 40 && (await listDeadLetters(db, {})).length === 0; ) {
        attempts += await dispatcher.runDue()
        now += 3600_000
        hours++
      }
      const letters = await listDeadLetters(db, {})
      assert.equal(letters.length, 1)
      assert.equal(letters[0]?.eventId, dead)
      assert.equal(letters[0]?.endpoint, 'global')
      assert.equal(letters[0]?.lastError, 'HTTP 503')
      assert.ok(attempts >= 10, `${attempts} attempts`)
      // The sessions filter hides other sessions' dead letters, and refuses to replay them.
      assert.equal((await listDeadLetters(db, { sessionIds: ['shop-1'] })).length, 0)
      await assert.rejects(replayDeadLetter(db, { eventId: dead!, sessionIds: ['shop-1'] }), /No dead letter/)

      // Once dead, the stream moves on to the next event.
      state.up = true
      while ((await dispatcher.runDue()) > 0);
      assert.deepEqual(
        state.received.map(r => r.eventId),
        [next]
      )

      assert.deepEqual(await replayDeadLetter(db, { eventId: dead!, now }), { eventId: dead, requeued: 1 })
      while ((await dispatcher.runDue()) > 0);
      assert.deepEqual(
        state.received.map(r => r.eventId),
        [next, dead]
      )
      assert.equal((await listDeadLetters(db, {})).length, 0)
    })

    it('runs by itself once started and stops cleanly', async () => {
      const { db } = database
      await seed(db)
      const { state, send } = receiver()
      const dispatcher = new WebhookDispatcher({ db, scope: ALONE, send, logger, pollMs: 10 })
      dispatcher.start()
      const id = await recordEvent(db, { sessionId: 'shop-1', type: 'session.status', data: { status: 'connected' } })
      dispatcher.wake()
      for (let i = 0; i < 200 && state.received.length === 0; i++) await new Promise(r => setTimeout(r, 10))
      await dispatcher.stop()
      assert.deepEqual(
        state.received.map(r => [r.eventId, r.type, r.data.status]),
        [[id, 'session.status', 'connected']]
      )
    })

    it('keeps delivering other streams while one receiver takes its time', async () => {
      const { db } = database
      await seed(db)
      const delivered: { url: string; n: unknown }[] = []
      let release = () => {}
      const slow = new Promise<void>(resolve => (release = resolve))
      const send = async (request: WebhookDeliveryRequest): Promise<WebhookDeliveryResult> => {
        if (request.url === 'https://one.example/hook') await slow
        delivered.push({ url: request.url, n: request.data.n })
        return { delivered: true, status: 200 }
      }
      const dispatcher = new WebhookDispatcher({ db, scope: ALONE, send, logger, pollMs: 10 })
      dispatcher.start()
      await emit(db, 'shop-1', 0)
      dispatcher.wake()
      for (let n = 1; n <= 3; n++) {
        await emit(db, 'shop-2', n)
        dispatcher.wake()
      }
      for (let i = 0; i < 200 && delivered.length < 4; i++) await new Promise(r => setTimeout(r, 10))
      // The global endpoint got shop-1's event and all of shop-2's while shop-1's own receiver hangs.
      assert.deepEqual(
        [...delivered].sort((a, b) => Number(a.n) - Number(b.n)),
        [0, 1, 2, 3].map(n => ({ url: 'https://ops.example/hook', n }))
      )
      release()
      for (let i = 0; i < 200 && delivered.length < 5; i++) await new Promise(r => setTimeout(r, 10))
      await dispatcher.stop()
      assert.deepEqual(delivered.at(-1), { url: 'https://one.example/hook', n: 0 })
    })

    it('keeps half the slots from a slow receiver that serves many sessions', async () => {
      const { db } = database
      await seed(db)
      const many = Array.from({ length: 9 }, (_, i) => `busy-${i}`)
      await db.insert(tablesOf(db).sessions).values(many.map(id => ({ id })))
      let release = () => {}
      const slow = new Promise<void>(resolve => (release = resolve))
      const delivered: string[] = []
      const started: string[] = []
      const send = async (request: WebhookDeliveryRequest): Promise<WebhookDeliveryResult> => {
        started.push(request.url)
        if (request.url === 'https://ops.example/hook') await slow
        delivered.push(`${request.url} ${String(request.data.sessionId)}`)
        return { delivered: true, status: 200 }
      }
      const dispatcher = new WebhookDispatcher({ db, scope: ALONE, send, logger, pollMs: 10, concurrency: 8 })
      // Nine streams for the (slow) global webhook first, then one for shop-1's own endpoint.
      for (const id of many) await emit(db, id, 0)
      now += 1
      await recordEvent(db, { sessionId: 'shop-1', type: 'session.status', data: { status: 'connected' }, at: now })
      dispatcher.start()
      dispatcher.wake()
      for (let i = 0; i < 200 && delivered.length === 0; i++) await new Promise(r => setTimeout(r, 10))
      assert.deepEqual(delivered, ['https://one.example/hook shop-1'])
      assert.equal(started.filter(url => url === 'https://ops.example/hook').length, 4, 'the slow receiver holds half the slots')
      release()
      for (let i = 0; i < 200 && delivered.length < 10; i++) await new Promise(r => setTimeout(r, 10))
      await dispatcher.stop()
      assert.equal(delivered.length, 10)
    })
  })
