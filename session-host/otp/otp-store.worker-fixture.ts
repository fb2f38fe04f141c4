// Runs store calls on its own connection in a worker thread, so the tests can race real,
// parallel SQLite connections against one file. Not a test file itself.
import { parentPort, workerData } from 'node:worker_threads'
import { AppError } from '../../shared/errors.ts'
import { openDatabase } from '../db/connection.ts'
import { createOtp, verifyOtp } from './otp-store.ts'

export type WorkerJob = {
  file: string
  now: number
  /** Int32Array over a SharedArrayBuffer: every worker waits until the test sets it to 1. */
  start: Int32Array
  calls: Array<{ verify: Parameters<typeof verifyOtp>[1] } | { create: Parameters<typeof createOtp>[1] }>
}

export type WorkerOutcome = { ok: unknown } | { error: string }

const job = workerData as WorkerJob
const { db, close } = openDatabase(job.file)
const deps = { db, clock: () => job.now }
parentPort?.postMessage('ready')
Atomics.wait(job.start, 0, 0)
const outcomes: WorkerOutcome[] = job.calls.map(call => {
  try {
    return { ok: 'verify' in call ? verifyOtp(deps, call.verify) : createOtp(deps, call.create) }
  } catch (error) {
    return { error: error instanceof AppError ? error.code : String(error) }
  }
})
close()
parentPort?.postMessage(outcomes)
