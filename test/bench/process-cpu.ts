import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { StackProcesses } from '../support/processes.ts'

const CLOCK_TICKS_PER_SECOND = 100

/** CPU time (user + system) of another process, in ms, from /proc (Linux); 0 elsewhere. */
export const processCpuMs = (pid: number | undefined): number => {
  if (pid === undefined) return 0
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND
  } catch {
    return 0
  }
}

/** CPU time of a stack's host and gateway processes, in ms. */
export const stackCpuMs = (processes: StackProcesses) => ({ host: processCpuMs(processes.pid('host')), gateway: processCpuMs(processes.pid('gateway')) })

/** CPU time (user + system) of this process, in ms. */
export const ownCpuMs = (): number => {
  const usage = process.cpuUsage()
  return (usage.user + usage.system) / 1000
}

/**
 * Node flags that write a CPU profile of the process called `name` to <BENCH_PROFILE>/<name> (one
 * folder per process: tsx's loader thread writes a profile of its own, under the same names); none
 * without BENCH_PROFILE.
 */
export const cpuProfileArgs = (name: string): string[] => {
  const dir = process.env.BENCH_PROFILE
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${join(dir, name)}`] : []
}
