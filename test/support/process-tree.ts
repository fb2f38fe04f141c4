import { readdirSync, readFileSync } from 'node:fs'

type Stat = { state: string; ppid: number }

/** A process's state letter and parent, from /proc/<pid>/stat (Linux); undefined once it is gone. */
const readStat = (pid: number): Stat | undefined => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name in parentheses may itself hold spaces and parentheses.
    const [state = '', ppid = ''] = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return { state, ppid: Number(ppid) }
  } catch {
    return undefined
  }
}

// An exited process nobody has reaped yet (a zombie) is not running.
const running = (stat: Stat | undefined): stat is Stat => stat !== undefined && stat.state !== 'Z' && stat.state !== 'X'

/** True while the process runs. */
export const isRunning = (pid: number): boolean => running(readStat(pid))

/** Every running process below `rootPid` (its children, theirs, …) with its command line. */
export const descendants = (rootPid: number): { pid: number; cmdline: string }[] => {
  const children = new Map<number, number[]>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const stat = readStat(Number(entry))
    if (running(stat)) children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), Number(entry)])
  }
  const found: { pid: number; cmdline: string }[] = []
  const queue = [...(children.get(rootPid) ?? [])]
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    try {
      found.push({ pid, cmdline: readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim() })
    } catch {
      continue
    }
    queue.push(...(children.get(pid) ?? []))
  }
  return found
}
