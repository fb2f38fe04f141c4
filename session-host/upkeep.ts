import type { Logger } from 'pino'

/** A time-based job: given the time, it does its share and returns. */
export type UpkeepJob = { name: string; run(now: number): Promise<unknown> }

export type Upkeep = {
  /** Runs every job once now, in order (tests call it instead of waiting for the timer). */
  run(): Promise<void>
  start(): void
  stop(): void
}

/**
 * The host's time-based upkeep, all on one timer: jobs run in the order given (send deadlines
 * before OTP expiry, so an OTP whose message expired unsent fails with its reason first), each on
 * its own, so one failing never stops the others.
 */
export const createUpkeep = ({
  jobs,
  clock,
  logger,
  everyMs = 5_000
}: {
  jobs: UpkeepJob[]
  clock: () => number
  logger: Logger
  everyMs?: number
}): Upkeep => {
  let timer: NodeJS.Timeout | undefined
  // Passes never overlap: run() waits for the pass under way, and a tick during one is skipped.
  let pass: Promise<void> = Promise.resolve()
  let busy = 0
  const runJobs = async (): Promise<void> => {
    for (const job of jobs) {
      try {
        await job.run(clock())
      } catch (error) {
        logger.error({ err: error, job: job.name }, 'upkeep job failed')
      }
    }
  }
  const run = (): Promise<void> => {
    busy++
    pass = pass.then(runJobs).finally(() => busy--)
    return pass
  }
  return {
    run,
    start() {
      void run()
      timer = setInterval(() => {
        if (busy === 0) void run()
      }, everyMs)
      timer.unref()
    },
    stop: () => clearInterval(timer)
  }
}
