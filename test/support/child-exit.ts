import type { ChildProcess } from 'node:child_process'

/** Resolves once the child has exited (at once if it already has, or was never started). */
export const exited = (child: ChildProcess | undefined): Promise<void> =>
  !child || child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise<void>(resolve => child.once('exit', () => resolve()))

/**
 * Stops a service the way an operator does (SIGCONT for one that was stopped, then SIGTERM) and
 * waits up to `graceMs`. One still running then is killed, and the stop fails saying so: a process
 * that hangs on its way out must fail the test, not hold the suite until CI's time runs out.
 */
export const stopChild = async (name: string, child: ChildProcess | undefined, graceMs = 30_000): Promise<void> => {
  if (!child) return
  child.kill('SIGCONT')
  child.kill('SIGTERM')
  let timer: NodeJS.Timeout | undefined
  const hung = await Promise.race([
    exited(child).then(() => false),
    new Promise<boolean>(resolve => {
      timer = setTimeout(() => resolve(true), graceMs)
    })
  ])
  clearTimeout(timer)
  if (!hung) return
  child.kill('SIGKILL')
  await exited(child)
  throw new Error(`${name} (pid ${child.pid}) did not exit within ${graceMs} ms of SIGTERM: killed`)
}

/** Stops them all (each as stopChild), then fails with the first that had to be killed. */
export const stopChildren = async (children: [name: string, child: ChildProcess | undefined][], graceMs?: number): Promise<void> => {
  const results = await Promise.allSettled(children.map(([name, child]) => stopChild(name, child, graceMs)))
  const failed = results.find(result => result.status === 'rejected')
  if (failed) throw failed.reason
}
