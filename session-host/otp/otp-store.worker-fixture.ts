// Store calls for the concurrency tests to race: in a worker thread on its own SQLite connection
// (runWorkerJob), or on a PostgreSQL pool (runCall). Not a test file itself.
import { parentPort, workerData } from 'node:worker_threads'
import { AppError } from '../../shared/errors.ts'
import { openSqlite } from '../db/sqlite-database.ts'
import { createOtp, verifyOtp } from './otp-store.ts'
import type { OtpDeps } from './otp-store.ts'

export type RaceCall = { verify: Parameters<typeof verifyOtp>[1] } | { create: Parameters<typeof createOtp>[1] }

export type WorkerJob = {
  file: string
  now: number
  /** Int32Array over a SharedArrayBuffer: every worker waits until the test sets it to 1. */
  start: Int32Array
  calls: RaceCall[]
}

export type WorkerOutcome = { ok: unknown } | { error: string }

export const runCall = async (deps: OtpDeps, call: RaceCall): Promise<WorkerOutcome> => {
  try {
    return { ok: 'verify' in call ? await verifyOtp(deps, call.verify) : await createOtp(deps, call.create) }
  } catch (error) {
    return { error: error instanceof AppError ? error.code : String(error) }
  }
}

/** A worker thread's whole life: open the file, say ready, wait for the start, run the calls in order, post the outcomes. */
export const runWorkerJob = async (): Promise<void> => {
  const job = workerData as WorkerJob
  const { db, close } = openSqlite(job.file)
  const deps = { db, clock: () => job.now }
  parentPort?.postMessage('ready')
  Atomics.wait(job.start, 0, 0)
  const outcomes: WorkerOutcome[] = []
  for (const call of job.calls) outcomes.push(await runCall(deps, call))
  await close()
  parentPort?.postMessage(outcomes)
}
