import { afterEach, beforeEach, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { eq } from 'drizzle-orm'
import pino from 'pino'
import { ENGINES, openTestDatabase } from '../../test/support/test-database.ts'
import type { TestDatabase } from '../../test/support/test-database.ts'
import { addLeasedSession } from '../../test/support/leased-session.ts'
import { tablesOf, writeTransaction } from '../db/database.ts'
import { claimLeases } from '../fleet/session-leases.ts'
import type { Fence } from '../fleet/session-leases.ts'
import { journalSessionEvent } from '../webhooks/session-events.ts'
import { phoneForLid, storeLidMappings } from './lid-mappings.ts'
import type { LidMapping } from './lid-mappings.ts'
import { SessionWrites } from './session-writes.ts'
import { loadAuthState } from './stored-auth-state.ts'

const ALICE = { lid: '100000000000002', phone: '6281199990001' }
const T0 = new Date(1_800_000_000_000)

for (const engine of ENGINES)
  describe(`LID mappings store (${engine})`, () => {
    let database: TestDatabase
    let fence: Fence

    beforeEach(async () => {
      database = await openTestDatabase(engine)
      fence = await addLeasedSession(database.db, 'shop-1')
      await addLeasedSession(database.db, 'shop-2')
    })
    afterEach(async () => {
      await database.dispose()
    })

    const store = (sessionId: string, ...mappings: LidMapping[]) => writeTransaction(database.db, tx => storeLidMappings(tx, sessionId, mappings, T0))
    const lookup = (sessionId: string, lid: string) => phoneForLid(database.db, sessionId, lid)

    it('finds the number stored for a LID, and none for a LID it never learnt', async () => {
      await store('shop-1', ALICE)
      assert.equal(await lookup('shop-1', ALICE.lid), ALICE.phone)
      assert.equal(await lookup('shop-1', '100000000000009'), undefined)
    })

    it('replaces an older number for a LID with the newer one', async () => {
      await store('shop-1', ALICE)
      await store('shop-1', { lid: ALICE.lid, phone: '6281199990002' })
      assert.equal(await lookup('shop-1', ALICE.lid), '6281199990002')
      const { lidMappings } = tablesOf(database.db)
      assert.equal((await database.db.select().from(lidMappings).where(eq(lidMappings.sessionId, 'shop-1'))).length, 1)
    })

    it('takes a number away from the LID that had it once another LID holds it (a recycled number)', async () => {
      await store('shop-1', ALICE)
      await store('shop-1', { lid: '100000000000003', phone: ALICE.phone })
      assert.equal(await lookup('shop-1', '100000000000003'), ALICE.phone)
      assert.equal(await lookup('shop-1', ALICE.lid), undefined)
    })

    it('keeps each session its own mappings', async () => {
      await store('shop-1', ALICE)
      assert.equal(await lookup('shop-2', ALICE.lid), undefined)
      await store('shop-2', { lid: ALICE.lid, phone: '6281199990002' })
      assert.equal(await lookup('shop-1', ALICE.lid), ALICE.phone)
      assert.equal(await lookup('shop-2', ALICE.lid), '6281199990002')
    })

    it('removes the mappings with their session', async () => {
      await store('shop-1', ALICE)
      await store('shop-2', ALICE)
      const { lidMappings, sessions } = tablesOf(database.db)
      await database.db.delete(sessions).where(eq(sessions.id, 'shop-1'))
      assert.equal((await database.db.select().from(lidMappings).where(eq(lidMappings.sessionId, 'shop-1'))).length, 0)
      assert.equal(await lookup('shop-2', ALICE.lid), ALICE.phone)
    })

    it("answers from Baileys' own store for a session linked before the table, unless the number has moved", async () => {
      const { state } = await loadAuthState(database.db, 'shop-1', fence)
      // As Baileys' LIDMappingStore writes a pair: number → LID, and LID_reverse → number.
      await state.keys.set({ 'lid-mapping': { [ALICE.phone]: ALICE.lid, [`${ALICE.lid}_reverse`]: ALICE.phone } })
      assert.equal(await lookup('shop-1', ALICE.lid), ALICE.phone)
      assert.equal(await lookup('shop-2', ALICE.lid), undefined)
      // Baileys then learns that the number belongs to another LID: its old reverse key stays.
      await state.keys.set({ 'lid-mapping': { [ALICE.phone]: '100000000000003', '100000000000003_reverse': ALICE.phone } })
      assert.equal(await lookup('shop-1', ALICE.lid), undefined)
      // And when only the table knows of the move, the table wins too.
      await state.keys.set({ 'lid-mapping': { [ALICE.phone]: ALICE.lid } })
      await store('shop-1', { lid: '100000000000003', phone: ALICE.phone })
      assert.equal(await lookup('shop-1', ALICE.lid), undefined)
    })

    it('stores mappings a session learnt in order with its events, and none once another host holds the session', async () => {
      const writes = (sessionFence: Fence) =>
        new SessionWrites({ db: database.db, sessionId: 'shop-1', fence: sessionFence, logger: pino({ level: 'silent' }), journal: journalSessionEvent })
      const mine = writes(fence)
      mine.record({ type: 'lid-mappings', sessionId: 'shop-1', mappings: [ALICE] })
      await mine.settled()
      assert.equal(await lookup('shop-1', ALICE.lid), ALICE.phone)

      const { sessionLeases } = tablesOf(database.db)
      await database.db
        .update(sessionLeases)
        .set({ expiresAt: new Date(0) })
        .where(eq(sessionLeases.sessionId, 'shop-1'))
      const [taken] = await claimLeases(database.db, 'host-b', { ttlMs: 600_000, limit: 10 })
      assert.equal(taken?.sessionId, 'shop-1')
      mine.record({ type: 'lid-mappings', sessionId: 'shop-1', mappings: [{ lid: ALICE.lid, phone: '6281199990002' }] })
      await mine.settled()
      assert.equal(await lookup('shop-1', ALICE.lid), ALICE.phone)
    })
  })
