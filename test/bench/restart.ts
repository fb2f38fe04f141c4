import { readFileSync } from 'node:fs'
import { startProcessStack } from '../support/process-stack.ts'
import { cpuProfileArgs, ownCpuMs, stackCpuMs } from './process-cpu.ts'

/**
 * Sessions at scale (issue 17, goal 3), with the emulator in this process and the host and gateway
 * as their own: how fast sessions link (created through the API, QR scanned by the emulator's
 * phone), then how long all of them take to be connected again after the host restarts, and the
 * host's peak RSS during that restart against its steady RSS before it (the baseline of this run).
 * BENCH_SESSIONS (default 100; the goal is stated for 500) and BENCH_LINK_CONCURRENCY set the size;
 * BENCH_CONNECT_CONCURRENCY the host's SESSION_CONNECT_CONCURRENCY. `BENCH_PROFILE=<dir>` writes a
 * CPU profile of each host run to <dir>/host (the newer one is the restart).
 */
const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 100)
const LINK_CONCURRENCY = Number(process.env.BENCH_LINK_CONCURRENCY ?? 8)

/** A process's resident set in MB, from /proc (Linux); NaN elsewhere. */
const rssMb = (pid: number | undefined): number => {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find(l => l.startsWith('VmRSS:'))
    return Number(line?.split(/\s+/)[1]) / 1024
  } catch {
    return Number.NaN
  }
}
const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms))

export const benchRestart = async () => {
  const concurrency = process.env.BENCH_CONNECT_CONCURRENCY
  const stack = await startProcessStack(
    { SEND_GOVERNOR: 'off', LOG_LEVEL: 'error', ...(concurrency ? { SESSION_CONNECT_CONCURRENCY: concurrency } : {}) },
    {},
    { nodeArgs: name => (name === 'host' ? cpuProfileArgs('host') : []) }
  )
  try {
    const ids = Array.from({ length: SESSIONS }, (_, i) => `restart-${String(i).padStart(4, '0')}`)
    let next = 0
    const linkStarted = performance.now()
    const cpuBefore = { ...stackCpuMs(stack.processes), bench: ownCpuMs() }
    await Promise.all(
      Array.from({ length: LINK_CONCURRENCY }, async () => {
        while (next < ids.length) {
          const index = next++
          await stack.linkSession(ids[index]!, `6281700${String(index).padStart(5, '0')}`)
        }
      })
    )
    const linkSeconds = (performance.now() - linkStarted) / 1000
    const cpuAfter = { ...stackCpuMs(stack.processes), bench: ownCpuMs() }
    const perLink = (name: keyof typeof cpuAfter) => ((cpuAfter[name] - cpuBefore[name]) / SESSIONS).toFixed(0)
    const linkCpu = `CPU per link: host ${perLink('host')} ms, gateway ${perLink('gateway')} ms, emulator and bench ${perLink('bench')} ms`
    const connectedCount = async () => {
      const listed = (await stack.call('GET', '/api/sessions')).body.data as { sessions: { status: string }[] } | undefined
      return listed?.sessions.filter(session => session.status === 'connected').length ?? 0
    }
    await sleep(3_000)
    const steady = rssMb(stack.processes.pid('host'))

    await stack.processes.killHost('SIGTERM')
    // The emulator sees each session log in again: the list alone still says connected from before.
    const loggedIn = new Set<string>()
    stack.sim.on('login', ({ accountPn }: { accountPn: string }) => loggedIn.add(accountPn))
    const restarted = performance.now()
    let peak = 0
    let sampling = true
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, rssMb(stack.processes.pid('host')) || 0)
        await sleep(50)
      }
    })()
    await stack.processes.startHost()
    let allBackMs = Number.NaN
    for (const deadline = Date.now() + 300_000; Date.now() < deadline; await sleep(100)) {
      if (loggedIn.size >= SESSIONS && (await connectedCount()) === SESSIONS) {
        allBackMs = performance.now() - restarted
        break
      }
    }
    await sleep(3_000)
    sampling = false
    await sampler
    const after = rssMb(stack.processes.pid('host'))
    console.log(`Sessions (${SESSIONS}, emulator in its own process; the goal is for 500):`)
    console.log(`  linking: ${(SESSIONS / linkSeconds).toFixed(1)} sessions/s, ${LINK_CONCURRENCY} at a time  (goal ≥ 10/s); ${linkCpu}`)
    console.log(`  after a host restart, all connected in ${(allBackMs / 1000).toFixed(1)} s  (goal for 500: ≤ 20 s)`)
    console.log(
      `  host RSS: steady ${steady.toFixed(0)} MB (baseline, ${((steady / SESSIONS) * 1).toFixed(2)} MB a session), peak during the restart ${peak.toFixed(0)} MB, ratio ${(peak / steady).toFixed(2)}  (goal ≤ 1.3); settled after ${after.toFixed(0)} MB`
    )
  } finally {
    await stack.stop()
  }
}
