import { afterEach, beforeEach, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { eq, inArray } from 'drizzle-orm'
import type { SessionStatus } from '../../shared/sessions.ts'
import { ENGINES, openTestDatabase } from '../../test/support/test-database.ts'
import type { TestDatabase } from '../../test/support/test-database.ts'
import { tablesOf } from '../db/database.ts'
import { heartbeat, listHosts, liveHostIds, registerHost, setHostStatus } from './host-registry.ts'
import { claimLeases, countHostedSessions, currentOwners, ensureLeaseRows, releaseLease } from './session-leases.ts'

const TTL_MS = 60_000

for (const engine of ENGINES)
  describe(`session leases and the host registry (${engine})`, () => {
    let database: TestDatabase

    beforeEach(async () => {
      database = await openTestDatabase(engine)
    })
    afterEach(async () => {
      await database.dispose()
    })

    const addSessions = async (ids: string[], status: SessionStatus = 'connected') => {
      await database.db.insert(tablesOf(database.db).sessions).values(ids.map(id => ({ id, status })))
      await ensureLeaseRows(database.db)
    }
    /** The lease ran out: its host stalled or died (the database clock is past it). */
    const expire = async (ids: string[]) => {
      const { sessionLeases } = tablesOf(database.db)
      await database.db
        .update(sessionLeases)
        .set({ expiresAt: new Date(0) })
        .where(inArray(sessionLeases.sessionId, ids))
    }
    const claim = async (hostId: string, limit: number) =>
      (await claimLeases(database.db, hostId, { ttlMs: TTL_MS, limit })).sort((a, b) => a.sessionId.localeCompare(b.sessionId))
    const ownerOf = async (sessionId: string) => {
      const { sessionLeases } = tablesOf(database.db)
      const [row] = await database.db.select({ owner: sessionLeases.owner }).from(sessionLeases).where(eq(sessionLeases.sessionId, sessionId))
      return row?.owner
    }

    it('claims free leases and ones that ran out, each under a new generation, never a logged-out session or a current lease', async () => {
      await addSessions(['shop-1', 'shop-2', 'shop-3', 'shop-4'])
      await addSessions(['gone-1'], 'logged_out')
      assert.deepEqual(await claim('host-a', 2), [
        { sessionId: 'shop-1', generation: 1 },
        { sessionId: 'shop-2', generation: 1 }
      ])
      assert.deepEqual(await claim('host-b', 10), [
        { sessionId: 'shop-3', generation: 1 },
        { sessionId: 'shop-4', generation: 1 }
      ])
      assert.deepEqual(await claim('host-c', 10), [], 'every lease is current')

      await expire(['shop-1'])
      assert.deepEqual(await claim('host-c', 10), [{ sessionId: 'shop-1', generation: 2 }])
      assert.equal(await ownerOf('gone-1'), null)
    })

    it('gives hosts claiming at once, each on its own connection, different sessions', async () => {
      const ids = Array.from({ length: 30 }, (_, i) => `shop-${i + 1}`)
      await addSessions(ids)
      const hosts = ['host-a', 'host-b', 'host-c']
      const connections = await Promise.all(hosts.map(() => database.connect()))
      const claims = await Promise.all(connections.map(({ db }, i) => claimLeases(db, hosts[i]!, { ttlMs: TTL_MS, limit: 10 })))
      const taken = claims.flat().map(lease => lease.sessionId)
      assert.equal(new Set(taken).size, taken.length, 'no session went to two hosts')
      for (const [i, leases] of claims.entries()) {
        assert.ok(leases.length <= 10)
        for (const { sessionId } of leases) assert.equal(await ownerOf(sessionId), hosts[i])
      }
    })

    it('counts the sessions that need a host: all but the logged-out ones', async () => {
      await addSessions(['shop-1'], 'connected')
      await addSessions(['shop-2'], 'qr')
      await addSessions(['shop-3'], 'disconnected')
      await addSessions(['gone-1', 'gone-2'], 'logged_out')
      assert.equal(await countHostedSessions(database.db), 3)
    })

    it('names the holder of each session while its lease is current, and not once it ran out or was released', async () => {
      await addSessions(['shop-1', 'shop-2', 'shop-3', 'shop-4'])
      await claim('host-a', 2)
      await claim('host-b', 2)
      assert.deepEqual(
        await currentOwners(database.db),
        new Map([
          ['shop-1', 'host-a'],
          ['shop-2', 'host-a'],
          ['shop-3', 'host-b'],
          ['shop-4', 'host-b']
        ])
      )

      await expire(['shop-2'])
      assert.equal(await releaseLease(database.db, 'shop-4', { hostId: 'host-b', generation: 0 }), false, 'a stale fence releases nothing')
      assert.equal(await releaseLease(database.db, 'shop-3', { hostId: 'host-b', generation: 1 }), true)
      assert.deepEqual(
        await currentOwners(database.db),
        new Map([
          ['shop-1', 'host-a'],
          ['shop-4', 'host-b']
        ])
      )
      assert.deepEqual(await currentOwners(database.db, ['shop-1', 'shop-2', 'shop-3']), new Map([['shop-1', 'host-a']]))
    })

    it('lists every host by id with the sessions it holds now, live while up and heard from within the time given', async () => {
      for (const id of ['host-c', 'host-a', 'host-b']) await registerHost(database.db, { id, url: `http://${id}.internal` })
      await addSessions(['shop-1', 'shop-2', 'shop-3', 'shop-4', 'shop-5'])
      await claim('host-a', 3)
      await claim('host-b', 2)
      await expire(['shop-3'])
      await setHostStatus(database.db, 'host-c', 'stopped')
      // host-b went silent a minute ago.
      const { hosts } = tablesOf(database.db)
      await database.db
        .update(hosts)
        .set({ heartbeatAt: new Date(Date.now() - 60_000) })
        .where(eq(hosts.id, 'host-b'))

      const record = (id: string, status: string, live: boolean, sessions: number) => ({ id, url: `http://${id}.internal`, status, live, sessions })
      assert.deepEqual(await listHosts(database.db, 10_000), [
        record('host-a', 'up', true, 2),
        record('host-b', 'up', false, 2),
        record('host-c', 'stopped', false, 0)
      ])
      assert.deepEqual(await liveHostIds(database.db, 10_000), ['host-a'])
      assert.deepEqual(await liveHostIds(database.db, 120_000), ['host-a', 'host-b'], 'a stopped host is never live')

      await heartbeat(database.db, 'host-b')
      await registerHost(database.db, { id: 'host-c', url: 'http://host-c.internal' })
      assert.deepEqual(
        (await listHosts(database.db, 10_000)).map(host => [host.id, host.status, host.live]),
        [
          ['host-a', 'up', true],
          ['host-b', 'up', true],
          ['host-c', 'up', true]
        ]
      )
    })
  })
