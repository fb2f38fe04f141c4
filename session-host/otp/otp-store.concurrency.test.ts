import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { Worker } from 'node:worker_threads'
import { ENGINES } from '../../test/support/test-database.ts'
import { getOtp } from './otp-store.ts'
import type { VerifyAnswer } from '../../shared/host-api/otp.ts'
import { runCall } from './otp-store.worker-fixture.ts'
import type { RaceCall, WorkerJob, WorkerOutcome } from './otp-store.worker-fixture.ts'
import { cleanups, hash, send, SESSION, setup, TO, verify } from './otp-store.fixture.ts'
import type { Fixture } from './otp-store.fixture.ts'

for (const engine of ENGINES) {
  describe(`concurrent verification (${engine})`, () => {
    it('approves the right code exactly once among 20 concurrent verifies on two connections', async () => {
      const fixture = await setup(engine)
      const second = await fixture.connect()
      const otp = await send(fixture.deps, { code: '123456' })
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => verify(i % 2 === 0 ? fixture.deps : second, otp.id, '123456')))
      assert.equal(results.filter(r => r.valid).length, 1)
      assert.ok(results.every(r => r.status === 'approved'))
      assert.equal((await getOtp(second, { otpId: otp.id })).attempts, 1)
    })

    it('counts every one of 10 concurrent wrong codes, up to the maximum', async () => {
      const fixture = await setup(engine)
      const second = await fixture.connect()
      const roomy = await send(fixture.deps, { code: '123456', maxAttempts: 10 })
      const left = await Promise.all(
        Array.from({ length: 10 }, async (_, i) => (await verify(i % 2 === 0 ? fixture.deps : second, roomy.id, '000000')).attemptsLeft)
      )
      assert.deepEqual(
        left.toSorted((a, b) => a - b),
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
      )
      assert.equal((await getOtp(fixture.deps, { otpId: roomy.id })).attempts, 10)

      const tight = await send(fixture.deps, { code: '123456', to: '15550001111' })
      const statuses = await Promise.all(
        Array.from({ length: 10 }, async (_, i) => (await verify(i % 2 === 0 ? fixture.deps : second, tight.id, '000000')).status)
      )
      assert.equal(statuses.filter(s => s === 'pending').length, 4)
      assert.equal((await getOtp(fixture.deps, { otpId: tight.id })).attempts, 5)
      assert.equal((await getOtp(fixture.deps, { otpId: tight.id })).status, 'max_attempts_reached')
    })
  })
}

// Workers do not inherit tsx's loader hooks, so each one registers them before loading the fixture.
const WORKER_BOOTSTRAP = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})
  .then(tsx => { tsx.register(); return import(${JSON.stringify(new URL('./otp-store.worker-fixture.ts', import.meta.url).href)}) })
  .then(fixture => fixture.runWorkerJob())`

/**
 * One thread runs one better-sqlite3 statement at a time, so SQLite's race is between worker
 * threads, each with its own connection to the file, released at once and running its calls in order.
 */
const raceInWorkers = async (fixture: Fixture, jobs: RaceCall[][]): Promise<WorkerOutcome[]> => {
  const start = new Int32Array(new SharedArrayBuffer(4))
  const workers = jobs.map(calls => {
    const job: WorkerJob = { file: fixture.location, now: fixture.deps.clock(), start, calls }
    return new Worker(WORKER_BOOTSTRAP, { eval: true, workerData: job })
  })
  cleanups.push(() => Promise.all(workers.map(worker => worker.terminate())))
  const messages = (expected: 'ready' | 'outcomes') =>
    workers.map(
      worker =>
        new Promise<unknown>((resolve, reject) => {
          const onMessage = (message: unknown) => {
            if ((message === 'ready') !== (expected === 'ready')) return
            worker.off('message', onMessage)
            resolve(message)
          }
          worker.on('message', onMessage)
          worker.once('error', reject)
        })
    )
  const outcomes = messages('outcomes')
  await Promise.all(messages('ready'))
  Atomics.store(start, 0, 1)
  Atomics.notify(start, 0)
  return (await Promise.all(outcomes)).flat() as WorkerOutcome[]
}

/**
 * PostgreSQL's race is between pools, as separate hosts would hold them. A pool is several
 * connections, so every call of every job starts at once.
 */
const raceOnPools = async (fixture: Fixture, jobs: RaceCall[][]): Promise<WorkerOutcome[]> => {
  const pools = await Promise.all(jobs.map(() => fixture.connect()))
  const outcomes = await Promise.all(jobs.map((calls, i) => Promise.all(calls.map(call => runCall(pools[i]!, call)))))
  return outcomes.flat()
}

const verifyResult = (outcome: WorkerOutcome): VerifyAnswer => {
  assert.ok('ok' in outcome, `unexpected error: ${'error' in outcome ? outcome.error : ''}`)
  return outcome.ok as VerifyAnswer
}

for (const engine of ENGINES) {
  describe(`parallel connections (${engine}: ${engine === 'sqlite' ? 'worker threads' : 'pools'})`, () => {
    const race = engine === 'sqlite' ? raceInWorkers : raceOnPools

    /** Ten verifies of `code` on each of 4 connections, all released at once; the 40 verdicts. */
    const verifyOnFourConnections = async (fixture: Fixture, otpId: string, code: string): Promise<VerifyAnswer[]> => {
      const calls = Array.from({ length: 10 }, () => ({ verify: { otpId, codeHash: hash(otpId, code) } }))
      return (
        await race(
          fixture,
          Array.from({ length: 4 }, () => calls)
        )
      ).map(verifyResult)
    }

    it('approves the right code exactly once across 4 parallel connections', async () => {
      const fixture = await setup(engine)
      const otp = await send(fixture.deps, { code: '123456' })
      const results = await verifyOnFourConnections(fixture, otp.id, '123456')
      assert.equal(results.length, 40)
      assert.equal(results.filter(r => r.valid).length, 1)
      assert.equal((await getOtp(fixture.deps, { otpId: otp.id })).attempts, 1)
    })

    it('loses no wrong attempt across 4 parallel connections', async () => {
      const fixture = await setup(engine)
      const otp = await send(fixture.deps, { code: '123456', maxAttempts: 100 })
      const results = await verifyOnFourConnections(fixture, otp.id, '000000')
      assert.equal(new Set(results.map(r => r.attemptsLeft)).size, 40, 'each attempt saw its own count')
      assert.equal((await getOtp(fixture.deps, { otpId: otp.id })).attempts, 40)
    })

    it('lets exactly one of 4 parallel sends to a number through the cooldown', async () => {
      const fixture = await setup(engine)
      const jobs = Array.from({ length: 4 }, () => {
        const id = randomUUID()
        return [{ create: { id, sessionId: SESSION, destination: TO, codeHash: hash(id, '1'), ttlSeconds: 60 } }]
      })
      const outcomes = await race(fixture, jobs)
      assert.equal(outcomes.filter(o => 'ok' in o).length, 1)
      assert.deepEqual(
        outcomes.filter(o => 'error' in o).map(o => ('error' in o ? o.error : '')),
        Array.from({ length: 3 }, () => 'RATE_LIMITED')
      )
    })
  })
}
