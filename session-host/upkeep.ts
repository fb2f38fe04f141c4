import type { Logger } from 'pino'

/** A time-based job: given the time, it does its share and returns. */
export type UpkeepJob = { name: string; run(now: number): void }

export type Upkeep = {
  /** Runs every job once now, in order (tests call it instead of waiting for the timer). */
  run(): void
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
  const run = (): void => {
    for (const job of jobs) {
      try {
        job.run(clock())
      } catch (error) {
        logger.error({ err: error, job: job.name }, 'upkeep job failed')
      }
    }
  }
  return {
    run,
    start() {
      run()
      timer = setInterval(run, everyMs)
      timer.unref()
    },
    stop: () => clearInterval(timer)
  }
}
