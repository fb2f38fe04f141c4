import { afterEach, beforeEach, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { eq, inArray } from 'drizzle-orm'
import pino from 'pino'
import { ENGINES, openTestDatabase } from '../../test/support/test-database.ts'
import type { TestDatabase } from '../../test/support/test-database.ts'
import { until } from '../../test/support/until.ts'
import { tablesOf } from '../db/database.ts'
import { FleetMember } from './fleet-member.ts'
import type { FleetSessions, FleetSettings } from './fleet-member.ts'
import { countHostedSessions } from './session-leases.ts'
import type { Fence } from './session-leases.ts'

/** What the members logged at error level: a round that throws is caught and only logged. */
const errors: string[] = []
const logger = pino({ level: 'error' }, { write: (line: string) => void errors.push(JSON.stringify(JSON.parse(line).err ?? line)) })

/** A host's sessions as the fleet sees them: it runs nothing, and records what the member asked. */
class RecordingSessions implements FleetSessions {
  /** Adopted and not dropped or stopped since, with the fence each was adopted under. */
  readonly running = new Map<string, Fence>()
  readonly dropped: string[] = []
  readonly stopped: string[] = []
  /** Sessions that cannot move now (waiting for a QR scan, say): never offered for hand-over. */
  readonly pinned = new Set<string>()

  async adopt(sessionId: string, fence: Fence): Promise<void> {
    // Two runs of one session on a host would be two sockets on one WhatsApp account.
    if (this.running.has(sessionId)) throw new Error(`${sessionId} adopted while already running`)
    this.running.set(sessionId, fence)
  }

  async drop(sessionId: string): Promise<void> {
    this.dropped.push(sessionId)
    this.running.delete(sessionId)
  }

  async stop(sessionId: string): Promise<void> {
    this.stopped.push(sessionId)
    this.running.delete(sessionId)
  }

  async handOverCandidates(sessionIds: string[]): Promise<string[]> {
    return sessionIds.filter(id => !this.pinned.has(id))
  }
}

type Host = { member: FleetMember; sessions: RecordingSessions }

const sorted = (ids: Iterable<string>): string[] => [...ids].sort()

for (const engine of ENGINES)
  describe(`hosts sharing sessions through leases (${engine})`, () => {
    let database: TestDatabase
    let hosts: Host[]

    beforeEach(async () => {
      database = await openTestDatabase(engine)
      hosts = []
      errors.length = 0
    })
    afterEach(async () => {
      for (const { member } of hosts) await member.stop()
      await database.dispose()
      assert.deepEqual(errors, [], 'no fleet round failed')
    })

    /** A host on its own connection, started (which runs its first round). */
    const join = async (hostId: string, settings: Partial<FleetSettings> = {}): Promise<Host> => {
      const { db } = await database.connect()
      const sessions = new RecordingSessions()
      // A tick an hour away never fires during a test: each test drives the rounds itself.
      const member = new FleetMember(
        db,
        { hostId, url: `http://${hostId}.internal`, leaseMs: 60_000, tickMs: 3_600_000, wave: 100, ...settings },
        sessions,
        logger
      )
      await member.start()
      hosts.push({ member, sessions })
      return { member, sessions }
    }
    const rounds = async (count: number, fleet: Host[]): Promise<void> => {
      for (let round = 0; round < count; round++) for (const { member } of fleet) await member.tick()
    }
    const addSessions = async (count: number): Promise<string[]> => {
      const ids = Array.from({ length: count }, (_, i) => `shop-${String(i + 1).padStart(2, '0')}`)
      await database.db.insert(tablesOf(database.db).sessions).values(ids.map(id => ({ id })))
      return ids
    }
    const leases = async () => {
      const rows = await database.db.select().from(tablesOf(database.db).sessionLeases)
      return new Map(rows.map(row => [row.sessionId, row]))
    }
    type Leases = Awaited<ReturnType<typeof leases>>
    const holder = (rows: Leases, id: string) => ({ owner: rows.get(id)!.owner, generation: rows.get(id)!.generation })
    const ownedBy = (rows: Leases, hostId: string): string[] => sorted([...rows.values()].filter(row => row.owner === hostId).map(row => row.sessionId))
    /** The member, its sessions and the lease rows agree on what it holds, and under which generation. */
    const assertAgrees = ({ member, sessions }: Host, rows: Leases): void => {
      const owned = ownedBy(rows, member.hostId)
      assert.deepEqual(sorted(member.heldSessions()), owned, `${member.hostId} holds what its lease rows say`)
      assert.deepEqual(sorted(sessions.running.keys()), owned, `${member.hostId} runs what it holds`)
      for (const id of owned) {
        const fence = { hostId: member.hostId, generation: rows.get(id)!.generation }
        assert.deepEqual(sessions.running.get(id), fence, `${id} runs under its lease row's generation`)
        assert.deepEqual(member.fence(id), fence)
      }
    }
    const hostStatus = async (hostId: string) => {
      const { hosts: table } = tablesOf(database.db)
      const [row] = await database.db.select({ status: table.status }).from(table).where(eq(table.id, hostId))
      return row?.status
    }

    it('shares thirty sessions ten to each of three hosts, each held by one, under its lease row’s generation', async () => {
      await addSessions(30)
      const fleet = [await join('host-a'), await join('host-b'), await join('host-c')]
      await rounds(3, fleet)
      const rows = await leases()
      for (const host of fleet) {
        assert.equal(host.member.heldSessions().length, 10)
        assertAgrees(host, rows)
      }
      const running = fleet.flatMap(host => [...host.sessions.running.keys()])
      assert.equal(new Set(running).size, 30, 'every session runs on some host, none on two')
      assert.equal(running.length, 30)
    })

    it('gives a host that joins its share, handing over only the sessions that can move', async () => {
      await addSessions(30)
      const fleet = [await join('host-a'), await join('host-b'), await join('host-c')]
      await rounds(2, fleet)
      const before = await leases()
      // Eight of each host's ten cannot move: the first ones it holds, which a host ignoring the list would move.
      for (const { member, sessions } of fleet) for (const id of member.heldSessions().slice(0, 8)) sessions.pinned.add(id)
      const newcomer = await join('host-d')
      await rounds(3, [...fleet, newcomer])
      const rows = await leases()
      for (const host of fleet) assert.deepEqual(sorted(host.member.heldSessions()), sorted(host.sessions.pinned))
      assert.equal(newcomer.member.heldSessions().length, 30 - 3 * 8)
      for (const host of [...fleet, newcomer]) {
        assert.ok(host.member.heldSessions().length <= Math.ceil(30 / 4))
        assertAgrees(host, rows)
      }
      for (const { sessions } of fleet) {
        for (const id of sessions.pinned) assert.deepEqual(holder(rows, id), holder(before, id), `${id} stayed where it was`)
        assert.deepEqual(
          sessions.stopped.filter(id => sessions.pinned.has(id)),
          []
        )
      }
    })

    it('on stop, closes its sessions and frees their leases, and the others take them at their next round', async () => {
      await addSessions(30)
      const [a, b, c] = [await join('host-a'), await join('host-b'), await join('host-c')]
      await rounds(2, [a, b, c])
      const leaving = sorted(b.member.heldSessions())
      await b.member.stop()
      assert.deepEqual(sorted(b.sessions.stopped), leaving)
      assert.deepEqual(b.member.heldSessions(), [])
      const released = await leases()
      // Free: no expiry. The owner stays, so host-b, restarted, would take its own back first.
      for (const id of leaving) assert.deepEqual([released.get(id)!.owner, released.get(id)!.expiresAt], ['host-b', null], `${id} is free`)
      assert.equal(await hostStatus('host-b'), 'stopped')

      // The leases last a minute: only their release lets the others take them this soon.
      await rounds(1, [a, c])
      const rows = await leases()
      for (const host of [a, c]) {
        assert.equal(host.member.heldSessions().length, 15)
        assertAgrees(host, rows)
      }
      assert.deepEqual(sorted(leaving.filter(id => ['host-a', 'host-c'].includes(rows.get(id)!.owner!))), leaving)
    })

    it('takes over the sessions of a host that stopped renewing, and that host drops them when it wakes', async () => {
      await addSessions(30)
      const [a, b, c] = [await join('host-a', { leaseMs: 300 }), await join('host-b', { leaseMs: 300 }), await join('host-c', { leaseMs: 300 })]
      await rounds(2, [a, b, c])
      const lost = new Map(b.member.heldSessions().map(id => [id, b.member.fence(id)!.generation]))
      assert.equal(lost.size, 10)

      // host-b stalls (no more rounds, as under SIGSTOP); the others go on well inside the lease time.
      await rounds(1, [a, c])
      assert.deepEqual(ownedBy(await leases(), 'host-b'), sorted(lost.keys()), 'a lease that has not run out is not taken')
      const rows = await until(
        async () => {
          await sleep(50)
          await rounds(1, [a, c])
          const now = await leases()
          return [...lost.keys()].every(id => ['host-a', 'host-c'].includes(now.get(id)!.owner!)) ? now : undefined
        },
        "host-b's sessions taken over",
        { timeoutMs: 5_000, everyMs: 0 }
      )
      for (const [id, generation] of lost) assert.ok(rows.get(id)!.generation > generation, `${id} was taken under a new generation`)
      for (const host of [a, c]) {
        assert.equal(host.member.heldSessions().length, 15)
        assertAgrees(host, rows)
      }
      assert.deepEqual(b.sessions.dropped, [], 'host-b knows nothing until it runs again')

      await b.member.tick()
      assert.deepEqual(sorted(b.sessions.dropped), sorted(lost.keys()))
      for (const id of lost.keys()) {
        assert.equal(b.member.fence(id), undefined)
        assert.ok(!b.member.heldSessions().includes(id))
        assert.ok(!b.sessions.running.has(id))
      }
    })

    it('after a restart under the same id, takes its sessions back up to its share and leaves the rest to the others', async () => {
      await addSessions(30)
      await join('host-a', { leaseMs: 300 })
      const b = await join('host-b', { leaseMs: 300 })
      // host-a's process dies holding all thirty, and a new one starts under its id before their leases run out.
      const a = await join('host-a', { leaseMs: 300 })
      const rows = await until(
        async () => {
          await sleep(50)
          await rounds(1, [a, b])
          const now = await leases()
          return ownedBy(now, 'host-b').length === 15 ? now : undefined
        },
        'host-b taking the sessions the restarted host-a does not run',
        { timeoutMs: 3_000, everyMs: 0 }
      )
      for (const host of [a, b]) assertAgrees(host, rows)
    })

    it('leaves the sessions it holds alone when it is below its share and nothing is free', async () => {
      // Thirty-one over three: shares of eleven, so one host stays at nine with nothing left to take.
      const ids = await addSessions(31)
      const fleet = [await join('host-a'), await join('host-b'), await join('host-c')]
      await rounds(2, fleet)
      assert.deepEqual(sorted(fleet.flatMap(host => host.member.heldSessions())), ids, 'every session is held')
      assert.deepEqual(
        fleet.map(host => host.member.heldSessions().length).sort((x, y) => x - y),
        [9, 11, 11]
      )
      const before = await leases()
      await rounds(2, fleet)
      const rows = await leases()
      for (const id of rows.keys()) assert.deepEqual(holder(rows, id), holder(before, id), `${id} kept its holder and generation`)
      for (const host of fleet) {
        assert.deepEqual(host.sessions.dropped, [], `${host.member.hostId} restarted none of its sessions`)
        assertAgrees(host, rows)
      }
    })

    it('claims at most a wave of sessions a round, and hands over at most a wave a round', async () => {
      await addSessions(30)
      const a = await join('host-a', { wave: 3 })
      assert.equal(a.member.heldSessions().length, 3, 'the first round, as it starts')
      await a.member.tick()
      assert.equal(a.member.heldSessions().length, 6)
      assertAgrees(a, await leases())
      await rounds(8, [a])
      assert.equal(a.member.heldSessions().length, 30)

      const b = await join('host-b', { wave: 3 })
      await a.member.tick()
      assert.equal(a.sessions.stopped.length, 3)
      assert.equal(a.member.heldSessions().length, 27)
      await b.member.tick()
      assert.equal(b.member.heldSessions().length, 3)
    })

    it('takes back all of its own sessions in its first round after a restart, beyond a wave, and others’ still in waves', async () => {
      await addSessions(30)
      const first = await join('host-a', { wave: 3 })
      await rounds(9, [first])
      assert.equal(first.member.heldSessions().length, 30)
      // The process dies holding all thirty; a new one under its id, before their leases run out.
      const again = await join('host-a', { wave: 3 })
      assert.equal(again.member.heldSessions().length, 30, 'all thirty in the round it starts with')
      assertAgrees(again, await leases())
      const other = await join('host-b', { wave: 3 })
      await rounds(1, [again, other])
      assert.equal(other.member.heldSessions().length, 3, 'a host taking others’ sessions takes a wave')
    })

    it('after a clean stop and a restart, takes back the sessions it let go in its first round', async () => {
      await addSessions(30)
      const first = await join('host-a', { wave: 3 })
      await rounds(9, [first])
      await first.member.stop()
      const again = await join('host-a', { wave: 3 })
      assert.equal(again.member.heldSessions().length, 30)
      assertAgrees(again, await leases())
    })

    it('never claims a logged-out session, and leaves it out of the shares', async () => {
      const ids = await addSessions(10)
      const loggedOut = ids.slice(0, 4)
      const { sessions } = tablesOf(database.db)
      await database.db.update(sessions).set({ status: 'logged_out' }).where(inArray(sessions.id, loggedOut))
      assert.equal(await countHostedSessions(database.db), 6)

      const fleet = [await join('host-a'), await join('host-b')]
      await rounds(2, fleet)
      const rows = await leases()
      for (const host of fleet) {
        assert.equal(host.member.heldSessions().length, 3, 'half of the six that need a host')
        assertAgrees(host, rows)
      }
      for (const id of loggedOut) assert.equal(rows.get(id)!.owner, null)
    })

    it('keeps every session it holds when some of them log out, alone or beside another host', async () => {
      const ids = await addSessions(30)
      const alone = await join('host-a')
      const { sessions } = tablesOf(database.db)
      const loggedOut = ids.slice(0, 3)
      await database.db.update(sessions).set({ status: 'logged_out' }).where(inArray(sessions.id, loggedOut))
      await rounds(3, [alone])
      assert.deepEqual(alone.sessions.stopped, [], 'a lone host hands nothing over: no one would take it')
      assert.equal(alone.member.heldSessions().length, 30, 'the logged-out ones stay here for their next link')
      assertAgrees(alone, await leases())

      // 27 need a host: 14 for each of two. The newcomer gets its share of the connected ones only.
      const other = await join('host-b')
      await rounds(3, [alone, other])
      const rows = await leases()
      assert.equal(ownedBy(rows, 'host-b').length, 13)
      assert.equal(ownedBy(rows, 'host-a').filter(id => !loggedOut.includes(id)).length, 14)
      for (const id of loggedOut) assert.equal(rows.get(id)!.owner, 'host-a', `${id} was not handed over`)
      for (const host of [alone, other]) assertAgrees(host, rows)
    })

    it('makes the live host with the lowest id the leader, and the next one once it stops', async () => {
      await addSessions(3)
      // Started out of id order: leadership goes by id, not by who came first.
      const [c, a, b] = [await join('host-c'), await join('host-a'), await join('host-b')]
      await rounds(1, [a, b, c])
      assert.deepEqual(
        [a, b, c].map(host => host.member.isLeader),
        [true, false, false]
      )

      await a.member.stop()
      await c.member.tick()
      assert.equal(c.member.isLeader, false)
      assert.equal(b.member.isLeader, false, 'not before its next round')
      await b.member.tick()
      assert.equal(b.member.isLeader, true)
    })

    it('stops being the leader as it stops', async () => {
      const [a, b] = [await join('host-a'), await join('host-b')]
      assert.equal(a.member.isLeader, true)
      await a.member.stop()
      // Until host-b's next round nobody leads, which is safe; two leaders would both deliver the events of unheld sessions.
      assert.equal(a.member.isLeader, false)
      assert.equal(b.member.isLeader, false)
    })
  })
