import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { eq } from 'drizzle-orm'
import { sessions, webhookEvents } from '../db/schema.ts'
import { syncGlobalEndpoint } from '../webhooks/endpoints.ts'
import { attachMessageId, cancelOtp, createOtp, findLatestPendingOtp, getOtp, markOtpFailed, verifyOtp } from './otp-store.ts'
import { expireDueOtps } from './otp-expiry.ts'
import { hash, isAppError, send, SESSION, setup, storedHash, T0, TO, verify } from './otp-store.fixture.ts'

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
    // An endpoint that wants every event, so the journal keeps them.
    syncGlobalEndpoint(deps.db, { url: 'https://hooks.example.com/otp', secrets: [`whsec_${Buffer.alloc(32, 1).toString('base64')}`] })
    const first = send(deps, { code: '111111' })
    fixture.advance(30_000)
    const second = send(deps, { code: '222222' })

    assert.equal(getOtp(deps, { otpId: first.id }).status, 'canceled')
    assert.equal(verify(deps, first.id, '111111').status, 'canceled')
    const events = deps.db.select({ payload: webhookEvents.payload }).from(webhookEvents).where(eq(webhookEvents.type, 'otp.status')).all()
    assert.deepEqual(
      events.map(event => event.payload),
      [{ sessionId: SESSION, otpId: first.id, messageId: null, status: 'canceled', delivery: null, reason: 'superseded' }],
      'the superseded OTP says so in an otp.status event'
    )
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
    assert.deepEqual(
      [1, 2, 3].map(() => expireDueOtps(fixture.deps.db, fixture.deps.clock(), 2)),
      [2, 1, 0]
    )
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
    assert.throws(
      () => send(deps),
      isAppError('RATE_LIMITED', error => assert.equal(error.headers?.['Retry-After'], '1'))
    )
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
    assert.throws(
      () => send(deps),
      isAppError('RATE_LIMITED', error => assert.deepEqual(error.details, { retryAfterSeconds: 750 }))
    )
    fixture.setNow(T0 + 899_000)
    assert.throws(
      () => send(deps),
      isAppError('RATE_LIMITED', error => assert.equal(error.headers?.['Retry-After'], '1'))
    )
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
    assert.throws(
      create,
      isAppError('RATE_LIMITED', error => assert.equal(error.headers?.['Retry-After'], '60'))
    )
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
    assert.throws(
      () => cancelOtp(deps, { otpId: otp.id }),
      isAppError('OTP_NOT_PENDING', error => assert.deepEqual(error.details, { status: 'approved' }))
    )
    assert.equal(getOtp(deps, { otpId: otp.id }).status, 'approved')
  })

  it('cancels an OTP only for a token that may use its session, leaving it untouched otherwise', () => {
    const { deps } = setup()
    const otp = send(deps, { code: '123456' })
    assert.throws(() => cancelOtp(deps, { otpId: otp.id, allowedSessions: ['shop-2'] }), isAppError('SESSION_FORBIDDEN'))
    assert.equal(getOtp(deps, { otpId: otp.id }).status, 'pending')
    assert.equal(cancelOtp(deps, { otpId: otp.id, allowedSessions: ['shop-2', SESSION] }).status, 'canceled')
  })

  it('says when it committed an otp.status event, so the webhook outbox wakes only then', () => {
    const fixture = setup()
    let woke = 0
    const deps = { ...fixture.deps, onEvent: () => void woke++ }
    const otp = send(deps, { code: '123456' })
    verify(deps, otp.id, '000000')
    assert.equal(woke, 0, 'a wrong code that leaves the OTP pending writes no event')
    verify(deps, otp.id, '123456')
    assert.equal(woke, 1)
    cancelOtp(deps, { otpId: send(deps, { to: '6281200000999' }).id })
    assert.equal(woke, 2)
    const late = send(deps, { to: '6281200000888' })
    fixture.advance(301_000)
    getOtp(deps, { otpId: late.id })
    assert.equal(woke, 3, 'a read that expires the OTP writes its event')
    markOtpFailed(deps, { otpId: send(deps, { to: '6281200000777' }).id, reason: 'send_failed' })
    assert.equal(woke, 4)
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
