import { startFleet } from '../support/fleet-stack.ts'
import type { Fleet } from '../support/fleet-stack.ts'
import { until } from '../support/until.ts'

/**
 * `npm run bench:fleet`: a fleet on a private PostgreSQL with one host, then with three, in one
 * run: how the sessions spread, how fast text sends go out through each (accepted by the API and
 * acknowledged at the emulator's recipients), and, with three hosts, how long the sessions of a
 * SIGKILLed host take to connect on the others (per session, over several kills, at the default
 * lease time). The three-host figure is printed as a ratio of the one-host figure.
 */
const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 12)
const SENDS = Number(process.env.BENCH_SENDS ?? 300)
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 24)
const KILLS = Number(process.env.BENCH_KILLS ?? 3)
const LEASE_MS = process.env.BENCH_LEASE_MS ?? '10000'

const sessionId = (i: number) => `bench-${String(i).padStart(2, '0')}`
const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((values.length * p) / 100))] ?? NaN

const linkAll = async (fleet: Fleet) => {
  for (let start = 0; start < SESSIONS; start += 6)
    await Promise.all(
      Array.from({ length: Math.min(6, SESSIONS - start) }, (_, k) => fleet.linkSession(sessionId(start + k), `6281900${String(start + k).padStart(5, '0')}`))
    )
}

const spread = async (fleet: Fleet) => {
  const counts = new Map(fleet.hosts.map(host => [host.id, 0]))
  for (const owner of (await fleet.owners()).values()) counts.set(owner, (counts.get(owner) ?? 0) + 1)
  return counts
}

/** SENDS texts over every session, CONCURRENCY at a time; sends per second until the last is at its recipient. */
const sendRate = async (fleet: Fleet, label: string): Promise<number> => {
  const ids: string[] = []
  let next = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < SENDS) {
        const i = next++
        const response = await fleet.call('POST', `/api/messages/${sessionId(i % SESSIONS)}/text`, {
          body: { to: `+6281955${String(i).padStart(6, '0')}`, text: `${label} ${i}` }
        })
        if (response.status !== 200) throw new Error(`send ${i}: ${response.status} ${response.body.error?.code}`)
        ids.push((response.body.data as { messageId: string }).messageId)
      }
    })
  )
  const wanted = new Set(ids)
  await until(async () => (fleet.sim.sent.filter(m => wanted.has(m.id) && !m.duplicate).length >= SENDS ? true : undefined), 'every send at its recipient', {
    timeoutMs: 300_000,
    everyMs: 20
  })
  return SENDS / ((performance.now() - started) / 1000)
}

/** Kills the busiest host KILLS times; for each of its sessions, ms until it is connected on another host. */
const failovers = async (fleet: Fleet): Promise<number[]> => {
  const samples: number[] = []
  for (let round = 0; round < KILLS; round++) {
    const counts = await spread(fleet)
    const victim = fleet.hosts.reduce((a, b) => ((counts.get(a.id) ?? 0) >= (counts.get(b.id) ?? 0) ? a : b))
    const its = [...(await fleet.owners())].filter(([, owner]) => owner === victim.id).map(([id]) => id)
    const killedAt = performance.now()
    await fleet.kill(victim, 'SIGKILL')
    const pending = new Set(its)
    await until(
      async () => {
        const listed = (await fleet.call('GET', '/api/sessions')).body.data as { sessions: { sessionId: string; status: string; hostId: string | null }[] }
        for (const session of listed.sessions)
          if (pending.has(session.sessionId) && session.status === 'connected' && session.hostId && session.hostId !== victim.id) {
            pending.delete(session.sessionId)
            samples.push(performance.now() - killedAt)
          }
        return pending.size === 0 ? true : undefined
      },
      `the sessions of ${victim.id} connected elsewhere`,
      { timeoutMs: 120_000, everyMs: 100 }
    )
    await fleet.startHost(victim)
    await until(async () => ([...(await spread(fleet)).values()].every(n => n >= Math.floor(SESSIONS / 3)) ? true : undefined), 'shares even again', {
      timeoutMs: 120_000
    })
  }
  return samples
}

const run = async (hosts: number) => {
  const fleet = await startFleet({ hosts, env: { LEASE_MS, FLEET_TICK_MS: '1000', LOG_LEVEL: 'warn', SEND_GOVERNOR: 'off' } })
  try {
    await linkAll(fleet)
    await until(async () => ((await fleet.owners()).size === SESSIONS ? true : undefined), 'every session held')
    if (hosts > 1)
      await until(async () => ([...(await spread(fleet)).values()].every(n => n >= Math.floor(SESSIONS / hosts)) ? true : undefined), 'shares even', {
        timeoutMs: 120_000
      })
    const counts = await spread(fleet)
    await sendRate(fleet, 'warm-up')
    const rate = await sendRate(fleet, 'measured')
    const failover = hosts > 1 ? await failovers(fleet) : []
    return { counts, rate, failover }
  } finally {
    await fleet.stop()
  }
}

const one = await run(1)
const three = await run(3)
const line = (counts: Map<string, number>) => [...counts].map(([id, n]) => `${id} ${n}`).join(', ')
console.log(`fleet bench: ${SESSIONS} sessions, ${SENDS} text sends at concurrency ${CONCURRENCY}, LEASE_MS ${LEASE_MS}`)
console.log(`  sessions per host      1 host: ${line(one.counts)}   3 hosts: ${line(three.counts)}`)
console.log(`  sends/s (to recipient) 1 host: ${one.rate.toFixed(1)}   3 hosts: ${three.rate.toFixed(1)}   ratio 3/1: ${(three.rate / one.rate).toFixed(2)}`)
console.log(
  `  failover after SIGKILL (${three.failover.length} sessions over ${KILLS} kills): p50 ${(percentile(three.failover, 50) / 1000).toFixed(1)} s, p99 ${(percentile(three.failover, 99) / 1000).toFixed(1)} s (goal under 30 s)`
)
process.exit(0)
