import { afterEach, beforeEach, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ENGINES, openTestDatabase } from '../../test/support/test-database.ts'
import type { TestDatabase } from '../../test/support/test-database.ts'
import { tablesOf, writeTransaction } from '../db/database.ts'
import { recordEvent } from '../webhooks/record-event.ts'
import { assignAllStreamPositions } from './stream-positions.ts'
import { readStream, streamHead } from './stream-read.ts'

for (const engine of ENGINES)
  describe(`the event stream (${engine})`, () => {
    let database: TestDatabase
    beforeEach(async () => {
      database = await openTestDatabase(engine)
      await database.db.insert(tablesOf(database.db).sessions).values([{ id: 'shop-1' }, { id: 'shop-2' }])
    })
    afterEach(() => database.dispose())
    const emit = (sessionId: string, n: number) => recordEvent(database.db, { sessionId, type: 'message.received', data: { n } })

    it('places every event, a session in its own order, and reads them in that order through the scope and type filters', async () => {
      const { db } = database
      for (let n = 0; n < 3; n++) {
        await emit('shop-1', n)
        await emit('shop-2', n)
      }
      await recordEvent(db, { sessionId: 'shop-1', type: 'otp.status', data: { n: 9 } })
      assert.equal(await streamHead(db), 0, 'not placed before the sequencer runs')
      assert.equal(await assignAllStreamPositions(db), 7)
      assert.equal(await assignAllStreamPositions(db), 0, 'each event placed once')
      const all = await readStream(db, 0, {}, 100)
      assert.equal(all.events.length, 7)
      assert.equal(all.next, 7)
      const positions = all.events.map(event => event.position)
      assert.deepEqual(
        positions,
        [...positions].sort((a, b) => a - b)
      )
      const shop1 = await readStream(db, 0, { sessions: ['shop-1'] }, 100)
      assert.deepEqual(
        shop1.events.map(event => [event.data.sessionId, event.data.n]),
        [0, 1, 2, 9].map(n => ['shop-1', n])
      )
      assert.equal(shop1.next, 7, "past shop-2's events too")
      assert.deepEqual(
        (await readStream(db, 0, { sessionId: 'shop-1', types: ['otp.status'] }, 100)).events.map(event => event.data.n),
        [9]
      )
      assert.deepEqual((await readStream(db, 0, { sessions: [] }, 100)).events, [], 'a token with no sessions sees none')
      const firstTwo = await readStream(db, 0, {}, 2)
      assert.equal(firstTwo.events.length, 2)
      assert.equal(firstTwo.next, firstTwo.events[1]!.position, 'a full page resumes after its last event')
      const rest = await readStream(db, firstTwo.next, {}, 100)
      assert.deepEqual(
        [...firstTwo.events, ...rest.events].map(event => event.id),
        all.events.map(event => event.id)
      )
    })

    it('shows the webhook body of each event with its id and time', async () => {
      const { db } = database
      const id = await recordEvent(db, { sessionId: 'shop-1', type: 'otp.status', data: { otpId: 'otp_1', status: 'delivered' }, at: Date.UTC(2026, 0, 2) })
      await assignAllStreamPositions(db)
      assert.deepEqual((await readStream(db, 0, {}, 10)).events, [
        { position: 1, id, type: 'otp.status', timestamp: '2026-01-02T00:00:00.000Z', data: { sessionId: 'shop-1', otpId: 'otp_1', status: 'delivered' } }
      ])
    })

    if (engine === 'postgres')
      it('gives an event committed late a place after those a reader has already passed, so it is not missed', async () => {
        const { db } = database
        let inserted!: () => void
        let commit!: () => void
        const insertedOnce = new Promise<void>(resolve => (inserted = resolve))
        const committing = new Promise<void>(resolve => (commit = resolve))
        // A transaction that records its event first and commits last.
        const slow = writeTransaction(db, async tx => {
          await recordEvent(tx, { sessionId: 'shop-1', type: 'message.received', data: { n: 'late' } })
          inserted()
          await committing
        })
        await insertedOnce
        await emit('shop-2', 1)
        await assignAllStreamPositions(db)
        const first = await readStream(db, 0, {}, 100)
        assert.deepEqual(
          first.events.map(event => event.data.n),
          [1],
          'the open transaction is not seen'
        )
        commit()
        await slow
        await assignAllStreamPositions(db)
        const second = await readStream(db, first.next, {}, 100)
        assert.deepEqual(
          second.events.map(event => event.data.n),
          ['late']
        )
      })
  })
