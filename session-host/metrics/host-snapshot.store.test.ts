import { afterEach, beforeEach, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { eq } from 'drizzle-orm'
import type { SessionView } from '../../shared/host-api/sessions.ts'
import { ENGINES, openTestDatabase } from '../../test/support/test-database.ts'
import type { TestDatabase } from '../../test/support/test-database.ts'
import { tablesOf } from '../db/database.ts'
import { syncGlobalEndpoint } from '../webhooks/endpoints.ts'
import { recordEvent } from '../webhooks/record-event.ts'
import { readHostSnapshot } from './host-snapshot.ts'

const view = (sessionId: string, hostId: string | null, extra: Partial<SessionView> = {}) =>
  ({ sessionId, hostId, status: 'connected', restriction: null, ...extra }) as SessionView

for (const engine of ENGINES)
  describe(`the metrics' scrape-time reading (${engine})`, () => {
    let database: TestDatabase

    beforeEach(async () => {
      database = await openTestDatabase(engine)
    })
    afterEach(async () => {
      await database.dispose()
    })

    /** Four webhook deliveries: two left pending, one delivered, one dead-lettered. */
    const deliveries = async () => {
      await syncGlobalEndpoint(database.db, { url: 'https://hooks.example/in', secrets: ['whsec_test'] })
      const ids: string[] = []
      for (let index = 0; index < 4; index++) ids.push((await recordEvent(database.db, { sessionId: 'shop', type: 'otp.status', data: { index } }))!)
      const { webhookDeliveries } = tablesOf(database.db)
      await database.db.update(webhookDeliveries).set({ status: 'delivered' }).where(eq(webhookDeliveries.eventId, ids[0]!))
      await database.db.update(webhookDeliveries).set({ status: 'dead' }).where(eq(webhookDeliveries.eventId, ids[1]!))
    }
    const sessions = {
      list: async () => [
        view('mine', 'host-a'),
        view('mine-locked', 'host-a', { status: 'disconnected', restriction: { kind: 'reachout_timelock', until: null, enforcement: null } }),
        view('theirs', 'host-b'),
        view('nobodys', null, { status: 'logged_out' })
      ]
    }

    it('reads the sessions this host holds, and on the leader the pending and dead deliveries', async () => {
      await deliveries()
      assert.deepEqual(await readHostSnapshot({ db: database.db, sessions, hostId: 'host-a', leader: true }), {
        sessions: [
          { sessionId: 'mine', status: 'connected', restricted: false },
          { sessionId: 'mine-locked', status: 'disconnected', restricted: true }
        ],
        leader: true,
        webhookDeliveries: { pending: 2, dead: 1 }
      })
    })

    it('leaves the database-wide counts to the leader', async () => {
      await deliveries()
      const snapshot = await readHostSnapshot({ db: database.db, sessions, hostId: 'host-b', leader: false })
      assert.deepEqual(snapshot, { sessions: [{ sessionId: 'theirs', status: 'connected', restricted: false }], leader: false })
    })

    it('counts zero deliveries in an empty outbox', async () => {
      const snapshot = await readHostSnapshot({ db: database.db, sessions: { list: async () => [] }, hostId: 'host-a', leader: true })
      assert.deepEqual(snapshot.webhookDeliveries, { pending: 0, dead: 0 })
    })
  })
