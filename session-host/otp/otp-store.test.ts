import { afterEach, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createHmac, randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { eq } from 'drizzle-orm'
import { AppError } from '../../shared/errors.ts'
import { openDatabase } from '../db/connection.ts'
import type { Db } from '../db/connection.ts'
import { otps, sessions } from '../db/schema.ts'
import {
  attachMessageId,
  cancelOtp,
  createOtp,
  findLatestPendingOtp,
  getOtp,
  markOtpFailed,
  verifyOtp
} from './otp-store.ts'
import type { OtpDeps, VerifyResult } from './otp-store.ts'
import { expireDueOtps } from './otp-expiry.ts'
import type { WorkerJob, WorkerOutcome } from './otp-store.worker-fixture.ts'

const SESSION = 'shop-1'
const TO = '6281234567890'
const T0 = Date.UTC(2030, 0, 1)
const PEPPER = 'test-pepper'

// What the gateway does: a keyed hash bound to the OTP id.
const hash = (otpId: string, code: string): string => createHmac('sha256', PEPPER).update(`${otpId}:${code}`).digest('base64url')

type Fixture = { deps: OtpDeps; file: string; setNow(ms: number): void; advance(ms: number): void; open(): OtpDeps }

const cleanups: Array<() => void> = []
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup()
})

const setup = (): Fixture => {
  const dir = mkdtempSync(join(tmpdir(), 'otp-store-'))
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'host.db')
  let now = T0
  const clock = (): number => now
  const open = (): OtpDeps => {
    const connection = openDatabase(file)
    cleanups.push(connection.close)
    return { db: connection.db, clock }
  }
  const deps = open()
  deps.db.insert(sessions).values({ id: SESSION }).run()
  return { deps, file, open, setNow: ms => (now = ms), advance: ms => (now += ms) }
}

const send = (deps: OtpDeps, options: { code?: string; to?: string; sessionId?: string; maxAttempts?: number; ttlSeconds?: number } = {}) => {
  const id = randomUUID()
  const otp = createOtp(deps, {
    id,
    sessionId: options.sessionId ?? SESSION,
    destination: options.to ?? TO,
    codeHash: hash(id, options.code ?? '123456'),
    ttlSeconds: options.ttlSeconds ?? 300,
    ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts })
  })
  return otp
}

const verify = (deps: OtpDeps, otpId: string, code: string): VerifyResult => verifyOtp(deps, { otpId, codeHash: hash(otpId, code) })

const isAppError = (code: string, check?: (error: AppError) => void) => (error: unknown) => {
  assert.ok(error instanceof AppError, `expected an AppError, got ${String(error)}`)
  assert.equal(error.code, code)
  check?.(error)
  return true
}

const storedHash = (db: Db, otpId: string): string | undefined => db.select({ codeHash: otps.codeHash }).from(otps).where(eq(otps.id, otpId)).get()?.codeHash

describe('verifying an OTP', () => {
  it('approves the right code once, and the same code is not valid again', () => {
    const { deps } = setup()
    const otp = send(deps, { code: '424242' })
    assert.equal(otp.status, 'pending')
    assert.equal(otp.expiresAt.getTime(), T0 + 300_000)

    assert.deepEqual(verify(deps, otp.id, '424242'), { otpId: otp.id, valid: true, status: 'approved', attemptsLeft: 4 })
    assert.deepEqual(verify(deps, otp.id, '424242'), { otpId: otp.id, valid: false, status: 'approved', attemptsLeft: 4 })
    const stored = getOtp(deps, { otpId: otp.id })
    assert.equal(stored.status, 'approved')
    assert.equal(stored.approvedAt?.getTime(), T0)
  })

  it('counts wrong codes down, and the right code still works while attempts are left', () => {
    const { deps } = setup()
    const otp = send(deps, { code: '111111' })
    for (const left of [4, 3, 2, 1]) {
      assert.deepEqual(verify(deps, otp.id, '999999'), { otpId: otp.id, valid: false, status: 'pending', attemptsLeft: left })
    }
    assert.deepEqual(verify(deps, otp.id, '111111'), { otpId: otp.id, valid: true, status: 'approved', attemptsLeft: 0 })
  })

  it('locks the OTP after five wrong codes, and the right code no longer works', () => {
    const { deps } = setup()
    const otp = send(deps, { code: '111111' })
    for (let i = 0; i < 4; i++) verify(deps, otp.id, '000000')
    assert.deepEqual(verify(deps, otp.id, '000000'), { otpId: otp.id, valid: false, status: 'max_attempts_reached', attemptsLeft: 0 })
    assert.deepEqual(verify(deps, otp.id, '111111'), { otpId: otp.id, valid: false, status: 'max_attempts_reached', attemptsLeft: 0 })
    assert.equal(getOtp(deps, { otpId: otp.id }).attempts, 5)
  })

  it('honours a custom number of attempts', () => {
    const { deps } = setup()
    const otp = send(deps, { code: '111111', maxAttempts: 2 })
    assert.equal(verify(deps, otp.id, '000000').attemptsLeft, 1)
    assert.equal(verify(deps, otp.id, '000000').status, 'max_attempts_reached')
  })

  it('treats a hash of another length as a wrong code', () => {
    const { deps } = setup()
    const otp = send(deps)
    assert.deepEqual(verifyOtp(deps, { otpId: otp.id, codeHash: 'short' }), { otpId: otp.id, valid: false, status: 'pending', attemptsLeft: 4 })
    assert.deepEqual(verifyOtp(deps, { otpId: otp.id, codeHash: '' }), { otpId: otp.id, valid: false, status: 'pending', attemptsLeft: 3 })
  })

  it('does not accept a code hashed for another OTP', () => {
    const { deps } = setup()
    const otp = send(deps, { code: '123456' })
    assert.equal(verifyOtp(deps, { otpId: otp.id, codeHash: hash('other-id', '123456') }).valid, false)
  })

  it('expires after its TTL: the right code is refused and the status is persisted', () => {
    const fixture = setup()
    const { deps } = fixture
    const otp = send(deps, { code: '123456', ttlSeconds: 60 })
    fixture.advance(59_999)
    assert.equal(getOtp(deps, { otpId: otp.id }).status, 'pending')
    fixture.advance(1)
    assert.deepEqual(verify(deps, otp.id, '123456'), { otpId: otp.id, valid: false, status: 'expired', attemptsLeft: 5 })
    fixture.setNow(T0)
    assert.equal(getOtp(deps, { otpId: otp.id }).status, 'expired', 'expiry is stored, not recomputed')
    assert.equal(verify(deps, otp.id, '123456').status, 'expired')
  })

  it('reports expiry when the OTP is only read', () => {
    const fixture = setup()
    const otp = send(fixture.deps, { ttlSeconds: 60 })
    fixture.advance(61_000)
    assert.equal(getOtp(fixture.deps, { otpId: otp.id }).status, 'expired')
  })

  it('refuses a canceled OTP', () => {
    const { deps } = setup()
    const otp = send(deps, { code: '123456' })
    assert.equal(cancelOtp(deps, { otpId: otp.id }).status, 'canceled')
    assert.deepEqual(verify(deps, otp.id, '123456'), { otpId: otp.id, valid: false, status: 'canceled', attemptsLeft: 5 })
  })

  it('refuses an OTP whose message failed', () => {
    const { deps } = setup()
    const otp = send(deps, { code: '123456' })
    assert.equal(markOtpFailed(deps, { otpId: otp.id }).status, 'failed')
    assert.equal(verify(deps, otp.id, '123456').valid, false)
  })

  it("leaves an OTP of a session outside the token's list untouched, and verifies it for a list that has it", () => {
    const { deps } = setup()
    const otp = send(deps, { code: '123456' })
    const forbidden = () => verifyOtp(deps, { otpId: otp.id, codeHash: hash(otp.id, '123456'), allowedSessions: ['shop-2', 'shop-3'] })
    assert.throws(forbidden, isAppError('SESSION_FORBIDDEN'))
    assert.throws(forbidden, isAppError('SESSION_FORBIDDEN'))
    assert.equal(getOtp(deps, { otpId: otp.id }).attempts, 0, 'a refused attempt is not counted')
    assert.deepEqual(verifyOtp(deps, { otpId: otp.id, codeHash: hash(otp.id, '123456'), allowedSessions: ['shop-2', SESSION] }), {
      otpId: otp.id,
      valid: true,
      status: 'approved',
      attemptsLeft: 4
    })
  })

  it('answers OTP_NOT_FOUND for an unknown id', () => {
    const { deps } = setup()
    assert.throws(() => verify(deps, 'nope', '123456'), isAppError('OTP_NOT_FOUND'))
    assert.throws(() => getOtp(deps, { otpId: 'nope' }), isAppError('OTP_NOT_FOUND'))
    assert.throws(() => cancelOtp(deps, { otpId: 'nope' }), isAppError('OTP_NOT_FOUND'))
    assert.throws(() => attachMessageId(deps, { otpId: 'nope', messageId: 'm' }), isAppError('OTP_NOT_FOUND'))
    assert.throws(() => markOtpFailed(deps, { otpId: 'nope' }), isAppError('OTP_NOT_FOUND'))
  })
})

describe('the latest OTP to a number', () => {
  it('a new OTP supersedes the pending one: the old code is refused, the new one approved', () => {
    const fixture = setup()
    const { deps } = fixture
    const first = send(deps, { code: '111111' })
    fixture.advance(30_000)
    const second = send(deps, { code: '222222' })

    assert.equal(getOtp(deps, { otpId: first.id }).status, 'canceled')
    assert.equal(verify(deps, first.id, '111111').status, 'canceled')
    const latest = findLatestPendingOtp(deps, { sessionId: SESSION, destination: TO })
    assert.equal(latest.id, second.id)
    assert.deepEqual(verify(deps, latest.id, '222222'), { otpId: second.id, valid: true, status: 'approved', attemptsLeft: 4 })
    assert.throws(() => findLatestPendingOtp(deps, { sessionId: SESSION, destination: TO }), isAppError('OTP_NOT_FOUND'))
  })

  it('marks a superseded OTP that had already run out as expired, not canceled', () => {
    const fixture = setup()
    const first = send(fixture.deps, { ttlSeconds: 10 })
    fixture.advance(30_000)
    send(fixture.deps)
    assert.equal(getOtp(fixture.deps, { otpId: first.id }).status, 'expired')
  })

  it('leaves OTPs to other numbers and other sessions pending', () => {
    const { deps } = setup()
    deps.db.insert(sessions).values({ id: 'shop-2' }).run()
    const other = send(deps, { to: '15550001111' })
    const otherSession = send(deps, { sessionId: 'shop-2' })
    send(deps)
    assert.equal(getOtp(deps, { otpId: other.id }).status, 'pending')
    assert.equal(getOtp(deps, { otpId: otherSession.id }).status, 'pending')
    assert.equal(findLatestPendingOtp(deps, { sessionId: 'shop-2', destination: TO }).id, otherSession.id)
  })

  it('finds a pending OTP past its expiry, so that verifying it answers expired', () => {
    const fixture = setup()
    const otp = send(fixture.deps, { code: '123456', ttlSeconds: 60 })
    fixture.advance(120_000)
    const latest = findLatestPendingOtp(fixture.deps, { sessionId: SESSION, destination: TO })
    assert.equal(verify(fixture.deps, latest.id, '123456').status, 'expired')
    assert.equal(latest.id, otp.id)
  })

  it('expires a backlog in batches, each OTP once', () => {
    const fixture = setup()
    for (const to of ['15550001111', '15550002222', '15550003333']) send(fixture.deps, { to, ttlSeconds: 60 })
    fixture.advance(120_000)
    assert.deepEqual([1, 2, 3].map(() => expireDueOtps(fixture.deps.db, fixture.deps.clock(), 2)), [2, 1, 0])
  })

  it('still finds it once the sweep has expired it, so verifying by number answers expired, not not-found', () => {
    const fixture = setup()
    const otp = send(fixture.deps, { code: '123456', ttlSeconds: 60 })
    fixture.advance(120_000)
    assert.equal(expireDueOtps(fixture.deps.db, fixture.deps.clock()), 1)
    const latest = findLatestPendingOtp(fixture.deps, { sessionId: SESSION, destination: TO })
    assert.deepEqual([latest.id, latest.status], [otp.id, 'expired'])
    assert.equal(verify(fixture.deps, latest.id, '123456').status, 'expired')
  })
})

describe('send limits', () => {
  it('answers RATE_LIMITED with Retry-After during the resend cooldown, and sends again after it', () => {
    const fixture = setup()
    const { deps } = fixture
    const first = send(deps)
    fixture.advance(10_000)
    assert.throws(
      () => send(deps),
      isAppError('RATE_LIMITED', error => {
        assert.equal(error.status, 429)
        assert.deepEqual(error.details, { retryAfterSeconds: 20 })
        assert.deepEqual(error.headers, { 'Retry-After': '20' })
      })
    )
    fixture.advance(19_500)
    assert.throws(() => send(deps), isAppError('RATE_LIMITED', error => assert.equal(error.headers?.['Retry-After'], '1')))
    assert.equal(getOtp(deps, { otpId: first.id }).status, 'pending', 'a refused send supersedes nothing')
    fixture.advance(500)
    assert.equal(send(deps).status, 'pending')
  })

  it('caps the sends per window, and reopens when the oldest send leaves it', () => {
    const fixture = setup()
    const { deps } = fixture
    for (let i = 0; i < 5; i++) {
      send(deps)
      fixture.advance(30_000)
    }
    // Now T0 + 150 s; the first send leaves the 15-minute window at T0 + 900 s.
    assert.throws(() => send(deps), isAppError('RATE_LIMITED', error => assert.deepEqual(error.details, { retryAfterSeconds: 750 })))
    fixture.setNow(T0 + 899_000)
    assert.throws(() => send(deps), isAppError('RATE_LIMITED', error => assert.equal(error.headers?.['Retry-After'], '1')))
    fixture.setNow(T0 + 900_000)
    send(deps)
    assert.throws(() => send(deps), isAppError('RATE_LIMITED'), 'the cooldown applies again after the new send')
  })

  it('counts per number and per session', () => {
    const { deps } = setup()
    deps.db.insert(sessions).values({ id: 'shop-2' }).run()
    send(deps)
    send(deps, { to: '15550001111' })
    send(deps, { sessionId: 'shop-2' })
    assert.throws(() => send(deps), isAppError('RATE_LIMITED'))
  })

  it('takes its limits from the caller', () => {
    const fixture = setup()
    const { deps } = fixture
    const limits = { cooldownSeconds: 0, maxPerWindow: 2, windowSeconds: 60 }
    const create = () => {
      const id = randomUUID()
      return createOtp(deps, { id, sessionId: SESSION, destination: TO, codeHash: hash(id, '1'), ttlSeconds: 60, limits })
    }
    create()
    create()
    assert.throws(create, isAppError('RATE_LIMITED', error => assert.equal(error.headers?.['Retry-After'], '60')))
    fixture.advance(60_000)
    create()
  })
})

describe('the stored record', () => {
  it('never exposes the code hash', () => {
    const fixture = setup()
    const { deps } = fixture
    const otp = send(deps)
    const codeHash = storedHash(deps.db, otp.id)
    assert.ok(codeHash)
    const shown = [
      otp,
      getOtp(deps, { otpId: otp.id }),
      findLatestPendingOtp(deps, { sessionId: SESSION, destination: TO }),
      attachMessageId(deps, { otpId: otp.id, messageId: 'wamid-1' }),
      verify(deps, otp.id, '000000'),
      cancelOtp(deps, { otpId: otp.id }),
      markOtpFailed(deps, { otpId: otp.id })
    ]
    for (const value of shown) {
      assert.ok(!('codeHash' in value))
      assert.ok(!JSON.stringify(value).includes(codeHash))
    }
  })

  it('keeps the message id', () => {
    const { deps } = setup()
    const otp = send(deps)
    attachMessageId(deps, { otpId: otp.id, messageId: 'wamid-1' })
    assert.equal(getOtp(deps, { otpId: otp.id }).messageId, 'wamid-1')
  })

  it('cancels only a pending OTP: an approved one stays approved and the refusal is 409 OTP_NOT_PENDING', () => {
    const { deps } = setup()
    const pending = send(deps, { code: '123456' })
    assert.equal(cancelOtp(deps, { otpId: pending.id }).status, 'canceled')
    const otp = send(deps, { code: '123456', to: '6281200000999' })
    verify(deps, otp.id, '123456')
    assert.throws(() => cancelOtp(deps, { otpId: otp.id }), isAppError('OTP_NOT_PENDING', error => assert.deepEqual(error.details, { status: 'approved' })))
    assert.equal(getOtp(deps, { otpId: otp.id }).status, 'approved')
  })

  it('marks only a pending OTP as failed', () => {
    const { deps } = setup()
    const otp = send(deps, { code: '123456' })
    verify(deps, otp.id, '123456')
    assert.equal(markOtpFailed(deps, { otpId: otp.id }).status, 'approved')
  })

  it('rejects an id containing a colon', () => {
    const { deps } = setup()
    assert.throws(() => createOtp(deps, { id: 'a:b', sessionId: SESSION, destination: TO, codeHash: 'h', ttlSeconds: 60 }))
  })

  it('goes with its session', () => {
    const { deps } = setup()
    const otp = send(deps)
    deps.db.delete(sessions).where(eq(sessions.id, SESSION)).run()
    assert.throws(() => getOtp(deps, { otpId: otp.id }), isAppError('OTP_NOT_FOUND'))
  })
})

describe('concurrent verification', () => {
  it('approves the right code exactly once among 20 concurrent verifies on two connections', async () => {
    const fixture = setup()
    const second = fixture.open()
    const otp = send(fixture.deps, { code: '123456' })
    const results = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => verify(i % 2 === 0 ? fixture.deps : second, otp.id, '123456'))
    )
    assert.equal(results.filter(r => r.valid).length, 1)
    assert.ok(results.every(r => r.status === 'approved'))
    assert.equal(getOtp(second, { otpId: otp.id }).attempts, 1)
  })

  it('counts every one of 10 concurrent wrong codes, up to the maximum', async () => {
    const fixture = setup()
    const second = fixture.open()
    const roomy = send(fixture.deps, { code: '123456', maxAttempts: 10 })
    const left = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => verify(i % 2 === 0 ? fixture.deps : second, roomy.id, '000000').attemptsLeft)
    )
    assert.deepEqual(left.toSorted((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    assert.equal(getOtp(fixture.deps, { otpId: roomy.id }).attempts, 10)

    const tight = send(fixture.deps, { code: '123456', to: '15550001111' })
    const statuses = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => verify(i % 2 === 0 ? fixture.deps : second, tight.id, '000000').status)
    )
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

  const verifyResult = (outcome: WorkerOutcome): VerifyResult => {
    assert.ok('ok' in outcome, `unexpected error: ${'error' in outcome ? outcome.error : ''}`)
    return outcome.ok as VerifyResult
  }

  it('approves the right code exactly once across 4 parallel connections', async () => {
    const fixture = setup()
    const otp = send(fixture.deps, { code: '123456' })
    const calls = Array.from({ length: 10 }, () => ({ verify: { otpId: otp.id, codeHash: hash(otp.id, '123456') } }))
    const results = (await race(fixture.file, T0, Array.from({ length: 4 }, () => calls))).map(verifyResult)
    assert.equal(results.length, 40)
    assert.equal(results.filter(r => r.valid).length, 1)
    assert.equal(getOtp(fixture.deps, { otpId: otp.id }).attempts, 1)
  })

  it('loses no wrong attempt across 4 parallel connections', async () => {
    const fixture = setup()
    const otp = send(fixture.deps, { code: '123456', maxAttempts: 100 })
    const calls = Array.from({ length: 10 }, () => ({ verify: { otpId: otp.id, codeHash: hash(otp.id, '000000') } }))
    const results = (await race(fixture.file, T0, Array.from({ length: 4 }, () => calls))).map(verifyResult)
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
