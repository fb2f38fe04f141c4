import { readFileSync } from 'node:fs'

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

/** CPU time (user + system) of this process, in ms. */
export const ownCpuMs = (): number => {
  const usage = process.cpuUsage()
  return (usage.user + usage.system) / 1000
}
