import type { ChildProcess } from 'node:child_process'

/**
 * Keeps one child process running for `npm start`: an unexpected exit restarts it after a
 * backoff, and a child that keeps failing right after it starts (a bad setting, a port in use)
 * is given up on, with its last error output, instead of being restarted forever.
 */
export type RestartPolicy = {
  /** The delay before the first restart; it doubles with each restart that follows. */
  firstDelayMs: number
  maxDelayMs: number
  /** An exit this soon after spawning is a quick failure. */
  quickFailureMs: number
  /** This many quick failures in a row and the supervisor gives up. */
  maxQuickFailures: number
  /** A child that stayed up this long starts the backoff again from `firstDelayMs`. */
  stableMs: number
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = { firstDelayMs: 500, maxDelayMs: 10_000, quickFailureMs: 10_000, maxQuickFailures: 3, stableMs: 60_000 }

/** What the supervisor remembers of a child's past exits. */
export type RestartHistory = { restarts: number; quickFailures: number }

export type RestartDecision = { kind: 'restart'; delayMs: number } | { kind: 'give-up' }

/** The pure core: after an exit `uptimeMs` after spawning, restart (and when) or give up. */
export const afterExit = (history: RestartHistory, uptimeMs: number, policy: RestartPolicy): { history: RestartHistory; decision: RestartDecision } => {
  const quickFailures = uptimeMs < policy.quickFailureMs ? history.quickFailures + 1 : 0
  if (quickFailures >= policy.maxQuickFailures) return { history: { ...history, quickFailures }, decision: { kind: 'give-up' } }
  const restarts = uptimeMs >= policy.stableMs ? 0 : history.restarts
  const delayMs = Math.min(policy.maxDelayMs, policy.firstDelayMs * 2 ** restarts)
  return { history: { restarts: restarts + 1, quickFailures }, decision: { kind: 'restart', delayMs } }
}

/** The last `max` lines of a text stream that arrives in chunks cut anywhere. */
export const createLineTail = (max: number) => {
  let lines: string[] = []
  let partial = ''
  return {
    push(text: string): void {
      const parts = (partial + text).split('\n')
      partial = parts.pop() ?? ''
      lines = [...lines, ...parts].slice(-max)
    },
    lines: (): string[] => [...lines, ...(partial ? [partial] : [])].slice(-max)
  }
}

export type Exit = { code: number | null; signal: NodeJS.Signals | null }

export type GiveUp = Exit & { name: string; quickFailures: number; lastErrorLines: string[] }

export type SupervisedChild = {
  /** Stops the child (SIGTERM, SIGKILL after `graceMs`) and restarts it no more; false when it had to be killed. */
  stop(graceMs: number): Promise<boolean>
}

const describeExit = ({ code, signal }: Exit): string => (signal ? `signal ${signal}` : `code ${code}`)
const seconds = (ms: number): string => `${Number((ms / 1000).toFixed(1))} s`

/**
 * Spawns the child with `spawnChild` (its stderr piped), forwards its stderr to `output` while
 * keeping the last lines of the current run, and restarts it by `policy` until `stop` is called
 * or it gives up, when it calls `onGiveUp` once.
 */
export const supervise = ({
  name,
  spawnChild,
  onGiveUp,
  policy = DEFAULT_RESTART_POLICY,
  output = process.stderr,
  now = Date.now
}: {
  name: string
  spawnChild: () => ChildProcess
  onGiveUp: (failure: GiveUp) => void
  policy?: RestartPolicy
  output?: { write(text: string): unknown }
  now?: () => number
}): SupervisedChild => {
  let history: RestartHistory = { restarts: 0, quickFailures: 0 }
  let stopping = false
  let restartTimer: NodeJS.Timeout | undefined
  let running: { child: ChildProcess; closed: Promise<void> } | undefined

  const start = () => {
    const startedAt = now()
    const tail = createLineTail(20)
    const child = spawnChild()
    child.stderr?.setEncoding('utf8')
    child.stderr?.on('data', (text: string) => {
      output.write(text)
      tail.push(text)
    })
    child.on('error', error => output.write(`${name}: ${error.message}\n`))
    // 'close', not 'exit': the last error lines are read only once stderr has ended.
    const closed = new Promise<void>(resolve =>
      child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
        running = undefined
        resolve()
        if (!stopping) onExit({ code, signal }, now() - startedAt, tail.lines())
      })
    )
    running = { child, closed }
  }

  const onExit = (exit: Exit, uptimeMs: number, lastErrorLines: string[]) => {
    const next = afterExit(history, uptimeMs, policy)
    history = next.history
    if (next.decision.kind === 'give-up') {
      stopping = true
      const lines = lastErrorLines.length ? lastErrorLines.map(line => `  | ${line}\n`).join('') : '  (it wrote nothing to stderr)\n'
      output.write(
        `${name} exited (${describeExit(exit)}) ${history.quickFailures} times in a row within ${seconds(policy.quickFailureMs)} of starting; giving up. Its last error output:\n${lines}`
      )
      onGiveUp({ name, ...exit, quickFailures: history.quickFailures, lastErrorLines })
      return
    }
    output.write(`${name} exited (${describeExit(exit)}) after ${seconds(uptimeMs)}; restarting in ${seconds(next.decision.delayMs)}\n`)
    restartTimer = setTimeout(start, next.decision.delayMs)
  }

  start()
  return {
    async stop(graceMs) {
      stopping = true
      clearTimeout(restartTimer)
      if (!running) return true
      const { child, closed } = running
      child.kill('SIGTERM')
      let timer: NodeJS.Timeout | undefined
      const inTime = await Promise.race([closed.then(() => true), new Promise<false>(resolve => (timer = setTimeout(resolve, graceMs, false)))])
      clearTimeout(timer)
      if (inTime) return true
      output.write(`${name} did not stop within ${seconds(graceMs)}; killing it\n`)
      child.kill('SIGKILL')
      await closed
      return false
    }
  }
}
