import { afterEach, beforeEach, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { decodeCursor } from '../../shared/host-api/list-page.ts'
import type { WebhookDelivery } from '../../shared/host-api/webhooks.ts'
import { ENGINES, openTestDatabase } from '../../test/support/test-database.ts'
import type { TestDatabase } from '../../test/support/test-database.ts'
import { tablesOf } from '../db/database.ts'
import { listDeliveries } from './delivery-log.ts'

const T0 = 1_800_000_000_000
const iso = (ms: number) => new Date(ms).toISOString()

for (const engine of ENGINES)
  describe(`webhook delivery log store (${engine})`, () => {
    let database: TestDatabase

    /** An event of a session at `at`, delivered to the endpoints named, in the state given. */
    const seedEvent = async (id: string, sessionId: string, at: number, to: { endpointId: string; status?: WebhookDelivery['status'] }[]) => {
      const { webhookDeliveries, webhookEvents } = tablesOf(database.db)
      const seq = Number(id.replace(/\D/g, '') || 0)
      await database.db.insert(webhookEvents).values({ id, sessionId, seq, type: 'message.sent', payload: { secret: 'payload-body' }, createdAt: new Date(at) })
      await database.db.insert(webhookDeliveries).values(
        to.map(({ endpointId, status = 'pending' }) => ({
          eventId: id,
          endpointId,
          sessionId,
          seq,
          status,
          attempts: status === 'pending' ? 1 : 2,
          nextAttemptAt: at + 5_000,
          lastAttemptAt: at + 1_000,
          lastError: status === 'delivered' ? null : 'HTTP 503',
          lastStatusCode: status === 'delivered' ? 204 : 503,
          deliveredAt: status === 'delivered' ? at + 2_000 : null,
          deadAt: status === 'dead' ? at + 3_000 : null
        }))
      )
    }
    const keys = (items: WebhookDelivery[]) => items.map(item => `${item.eventId}>${item.endpointId}`)

    beforeEach(async () => {
      database = await openTestDatabase(engine)
      const { sessions, webhookEndpoints } = tablesOf(database.db)
      await database.db.insert(sessions).values([{ id: 's1' }, { id: 's2' }])
      const endpoint = (id: string, sessionId: string | null) => ({ id, sessionId, url: `https://${id}.example/hook`, secrets: [{ secret: 'whsec_AAAA' }] })
      await database.db.insert(webhookEndpoints).values([endpoint('global', null), endpoint('whe_s1', 's1'), endpoint('whe_s2', 's2')])
    })
    afterEach(async () => {
      await database.dispose()
    })

    it("lists each event's deliveries newest first, across pages, the global endpoint's and the session's", async () => {
      await seedEvent('evt_00000001', 's1', T0, [{ endpointId: 'whe_s1', status: 'delivered' }, { endpointId: 'global' }])
      await seedEvent('evt_00000002', 's1', T0, [{ endpointId: 'whe_s1' }, { endpointId: 'global', status: 'dead' }])
      await seedEvent('evt_00000003', 's2', T0 + 1, [{ endpointId: 'whe_s2' }])
      const seen: string[] = []
      let cursor: string | null = null
      do {
        const page = await listDeliveries(database.db, { limit: 2, ...(cursor ? { cursor: decodeCursor(cursor)! } : {}) })
        seen.push(...keys(page.items))
        cursor = page.nextCursor
      } while (cursor !== null)
      assert.deepEqual(seen, ['evt_00000003>whe_s2', 'evt_00000002>whe_s1', 'evt_00000002>global', 'evt_00000001>whe_s1', 'evt_00000001>global'])
    })

    it('shows each attempt as it stands: the receiver status, the next retry only while pending, never the payload', async () => {
      await seedEvent('evt_00000001', 's1', T0, [{ endpointId: 'whe_s1', status: 'delivered' }])
      await seedEvent('evt_00000002', 's1', T0 + 1, [{ endpointId: 'whe_s1' }])
      const { items } = await listDeliveries(database.db, { limit: 10 })
      assert.deepEqual(items, [
        {
          eventId: 'evt_00000002',
          eventType: 'message.sent',
          sessionId: 's1',
          endpointId: 'whe_s1',
          status: 'pending',
          attempts: 1,
          lastAttemptAt: iso(T0 + 1_001),
          lastError: 'HTTP 503',
          lastStatusCode: 503,
          nextAttemptAt: iso(T0 + 5_001),
          deliveredAt: null,
          deadAt: null,
          createdAt: iso(T0 + 1)
        },
        {
          eventId: 'evt_00000001',
          eventType: 'message.sent',
          sessionId: 's1',
          endpointId: 'whe_s1',
          status: 'delivered',
          attempts: 2,
          lastAttemptAt: iso(T0 + 1_000),
          lastError: null,
          lastStatusCode: 204,
          nextAttemptAt: null,
          deliveredAt: iso(T0 + 2_000),
          deadAt: null,
          createdAt: iso(T0)
        }
      ])
      assert.doesNotMatch(JSON.stringify(items), /payload-body/)
    })

    it("filters by status and session; a token's sessions never see the global endpoint's deliveries", async () => {
      await seedEvent('evt_00000001', 's1', T0, [
        { endpointId: 'whe_s1', status: 'dead' },
        { endpointId: 'global', status: 'dead' }
      ])
      await seedEvent('evt_00000002', 's2', T0 + 1, [{ endpointId: 'whe_s2' }, { endpointId: 'global' }])
      assert.deepEqual(keys((await listDeliveries(database.db, { limit: 10, status: 'dead' })).items), ['evt_00000001>whe_s1', 'evt_00000001>global'])
      assert.deepEqual(keys((await listDeliveries(database.db, { limit: 10, sessionId: 's2' })).items), ['evt_00000002>whe_s2', 'evt_00000002>global'])
      assert.deepEqual(keys((await listDeliveries(database.db, { limit: 10, sessions: ['s1'] })).items), ['evt_00000001>whe_s1'])
      assert.deepEqual(keys((await listDeliveries(database.db, { limit: 10, sessionId: 's2', sessions: ['s2'] })).items), ['evt_00000002>whe_s2'])
    })
  })
