import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { Worker } from 'node:worker_threads'
import { getOtp } from './otp-store.ts'
import type { VerifyAnswer } from '../../shared/host-api/otp.ts'
import type { WorkerJob, WorkerOutcome } from './otp-store.worker-fixture.ts'
import { cleanups, hash, send, SESSION, setup, T0, TO, verify } from './otp-store.fixture.ts'

describe('concurrent verification', () => {
  it('approves the right code exactly once among 20 concurrent verifies on two connections', async () => {
    const fixture = setup()
    const second = fixture.open()
    const otp = send(fixture.deps, { code: '123456' })
    const results = await Promise.all(Array.from({ length: 20 }, async (_, i) => verify(i % 2 === 0 ? fixture.deps : second, otp.id, '123456')))
    assert.equal(results.filter(r => r.valid).length, 1)
    assert.ok(results.every(r => r.status === 'approved'))
    assert.equal(getOtp(second, { otpId: otp.id }).attempts, 1)
  })

  it('counts every one of 10 concurrent wrong codes, up to the maximum', async () => {
    const fixture = setup()
    const second = fixture.open()
    const roomy = send(fixture.deps, { code: '123456', maxAttempts: 10 })
    const left = await Promise.all(Array.from({ length: 10 }, async (_, i) => verify(i % 2 === 0 ? fixture.deps : second, roomy.id, '000000').attemptsLeft))
    assert.deepEqual(
      left.toSorted((a, b) => a - b),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
    )
    assert.equal(getOtp(fixture.deps, { otpId: roomy.id }).attempts, 10)

    const tight = send(fixture.deps, { code: '123456', to: '15550001111' })
    const statuses = await Promise.all(Array.from({ length: 10 }, async (_, i) => verify(i % 2 === 0 ? fixture.deps : second, tight.id, '000000').status))
    assert.equal(statuses.filter(s => s === 'pending').length, 4)
    assert.equal(getOtp(fixture.deps, { otpId: tight.id }).attempts, 5)
    assert.equal(getOtp(fixture.deps, { otpId: tight.id }).status, 'max_attempts_reached')
  })
})

// Promise.all on one thread runs synchronous better-sqlite3 calls one after another; worker threads
// with their own connections make the verifies and sends truly race for the same file.
describe('parallel connections in worker threads', () => {
  // Workers do not inherit tsx's loader hooks, so each one registers them before loading the fixture.
  const WORKER_BOOTSTRAP = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})
    .then(tsx => { tsx.register(); return import(${JSON.stringify(new URL('./otp-store.worker-fixture.ts', import.meta.url).href)}) })`

  const race = async (file: string, now: number, jobs: Array<WorkerJob['calls']>): Promise<WorkerOutcome[]> => {
    const start = new Int32Array(new SharedArrayBuffer(4))
    const workers = jobs.map(calls => {
      const job: WorkerJob = { file, now, start, calls }
      return new Worker(WORKER_BOOTSTRAP, { eval: true, workerData: job })
    })
    cleanups.push(() => workers.forEach(worker => void worker.terminate()))
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

  const verifyResult = (outcome: WorkerOutcome): VerifyAnswer => {
    assert.ok('ok' in outcome, `unexpected error: ${'error' in outcome ? outcome.error : ''}`)
    return outcome.ok as VerifyAnswer
  }

  /** Ten verifies of `code` on each of 4 connections, all released at once; the 40 verdicts. */
  const verifyOnFourConnections = async (file: string, otpId: string, code: string): Promise<VerifyAnswer[]> => {
    const calls = Array.from({ length: 10 }, () => ({ verify: { otpId, codeHash: hash(otpId, code) } }))
    return (
      await race(
        file,
        T0,
        Array.from({ length: 4 }, () => calls)
      )
    ).map(verifyResult)
  }

  it('approves the right code exactly once across 4 parallel connections', async () => {
    const fixture = setup()
    const otp = send(fixture.deps, { code: '123456' })
    const results = await verifyOnFourConnections(fixture.file, otp.id, '123456')
    assert.equal(results.length, 40)
    assert.equal(results.filter(r => r.valid).length, 1)
    assert.equal(getOtp(fixture.deps, { otpId: otp.id }).attempts, 1)
  })

  it('loses no wrong attempt across 4 parallel connections', async () => {
    const fixture = setup()
    const otp = send(fixture.deps, { code: '123456', maxAttempts: 100 })
    const results = await verifyOnFourConnections(fixture.file, otp.id, '000000')
    assert.equal(new Set(results.map(r => r.attemptsLeft)).size, 40, 'each attempt saw its own count')
    assert.equal(getOtp(fixture.deps, { otpId: otp.id }).attempts, 40)
  })

  it('lets exactly one of 4 parallel sends to a number through the cooldown', async () => {
    const fixture = setup()
    const jobs = Array.from({ length: 4 }, () => {
      const id = randomUUID()
      return [{ create: { id, sessionId: SESSION, destination: TO, codeHash: hash(id, '1'), ttlSeconds: 60 } }]
    })
    const outcomes = await race(fixture.file, T0, jobs)
    assert.equal(outcomes.filter(o => 'ok' in o).length, 1)
    assert.deepEqual(
      outcomes.filter(o => 'error' in o).map(o => ('error' in o ? o.error : '')),
      Array.from({ length: 3 }, () => 'RATE_LIMITED')
    )
  })
})
