import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { eq } from 'drizzle-orm'
import { ENGINES } from '../../test/support/test-database.ts'
import { tablesOf } from '../db/database.ts'
import { syncGlobalEndpoint } from '../webhooks/endpoints.ts'
import { attachMessageId, cancelOtp, createOtp, findLatestPendingOtp, getOtp, markOtpFailed, verifyOtp } from './otp-store.ts'
import { expireDueOtps } from './otp-expiry.ts'
import { addSession, hash, isAppError, send, SESSION, setup, storedHash, T0, TO, verify } from './otp-store.fixture.ts'

for (const engine of ENGINES) {
  describe(`verifying an OTP (${engine})`, () => {
    it('approves the right code once, and the same code is not valid again', async () => {
      const { deps } = await setup(engine)
      const otp = await send(deps, { code: '424242' })
      assert.equal(otp.status, 'pending')
      assert.equal(otp.expiresAt.getTime(), T0 + 300_000)

      assert.deepEqual(await verify(deps, otp.id, '424242'), { otpId: otp.id, valid: true, status: 'approved', attemptsLeft: 4 })
      assert.deepEqual(await verify(deps, otp.id, '424242'), { otpId: otp.id, valid: false, status: 'approved', attemptsLeft: 4 })
      const stored = await getOtp(deps, { otpId: otp.id })
      assert.equal(stored.status, 'approved')
      assert.equal(stored.approvedAt?.getTime(), T0)
    })

    it('counts wrong codes down, and the right code still works while attempts are left', async () => {
      const { deps } = await setup(engine)
      const otp = await send(deps, { code: '111111' })
      for (const left of [4, 3, 2, 1]) {
        assert.deepEqual(await verify(deps, otp.id, '999999'), { otpId: otp.id, valid: false, status: 'pending', attemptsLeft: left })
      }
      assert.deepEqual(await verify(deps, otp.id, '111111'), { otpId: otp.id, valid: true, status: 'approved', attemptsLeft: 0 })
    })

    it('locks the OTP after five wrong codes, and the right code no longer works', async () => {
      const { deps } = await setup(engine)
      const otp = await send(deps, { code: '111111' })
      for (let i = 0; i < 4; i++) await verify(deps, otp.id, '000000')
      assert.deepEqual(await verify(deps, otp.id, '000000'), { otpId: otp.id, valid: false, status: 'max_attempts_reached', attemptsLeft: 0 })
      assert.deepEqual(await verify(deps, otp.id, '111111'), { otpId: otp.id, valid: false, status: 'max_attempts_reached', attemptsLeft: 0 })
      assert.equal((await getOtp(deps, { otpId: otp.id })).attempts, 5)
    })

    it('honours a custom number of attempts', async () => {
      const { deps } = await setup(engine)
      const otp = await send(deps, { code: '111111', maxAttempts: 2 })
      assert.equal((await verify(deps, otp.id, '000000')).attemptsLeft, 1)
      assert.equal((await verify(deps, otp.id, '000000')).status, 'max_attempts_reached')
    })

    it('treats a hash of another length as a wrong code', async () => {
      const { deps } = await setup(engine)
      const otp = await send(deps)
      assert.deepEqual(await verifyOtp(deps, { otpId: otp.id, codeHash: 'short' }), { otpId: otp.id, valid: false, status: 'pending', attemptsLeft: 4 })
      assert.deepEqual(await verifyOtp(deps, { otpId: otp.id, codeHash: '' }), { otpId: otp.id, valid: false, status: 'pending', attemptsLeft: 3 })
    })

    it('does not accept a code hashed for another OTP', async () => {
      const { deps } = await setup(engine)
      const otp = await send(deps, { code: '123456' })
      assert.equal((await verifyOtp(deps, { otpId: otp.id, codeHash: hash('other-id', '123456') })).valid, false)
    })

    it('expires after its TTL: the right code is refused and the status is persisted', async () => {
      const fixture = await setup(engine)
      const { deps } = fixture
      const otp = await send(deps, { code: '123456', ttlSeconds: 60 })
      fixture.advance(59_999)
      assert.equal((await getOtp(deps, { otpId: otp.id })).status, 'pending')
      fixture.advance(1)
      assert.deepEqual(await verify(deps, otp.id, '123456'), { otpId: otp.id, valid: false, status: 'expired', attemptsLeft: 5 })
      fixture.setNow(T0)
      assert.equal((await getOtp(deps, { otpId: otp.id })).status, 'expired', 'expiry is stored, not recomputed')
      assert.equal((await verify(deps, otp.id, '123456')).status, 'expired')
    })

    it('reports expiry when the OTP is only read', async () => {
      const fixture = await setup(engine)
      const otp = await send(fixture.deps, { ttlSeconds: 60 })
      fixture.advance(61_000)
      assert.equal((await getOtp(fixture.deps, { otpId: otp.id })).status, 'expired')
    })

    it('refuses a canceled OTP', async () => {
      const { deps } = await setup(engine)
      const otp = await send(deps, { code: '123456' })
      assert.equal((await cancelOtp(deps, { otpId: otp.id })).status, 'canceled')
      assert.deepEqual(await verify(deps, otp.id, '123456'), { otpId: otp.id, valid: false, status: 'canceled', attemptsLeft: 5 })
    })

    it('refuses an OTP whose message failed', async () => {
      const { deps } = await setup(engine)
      const otp = await send(deps, { code: '123456' })
      assert.equal((await markOtpFailed(deps, { otpId: otp.id })).status, 'failed')
      assert.equal((await verify(deps, otp.id, '123456')).valid, false)
    })

    it("leaves an OTP of a session outside the token's list untouched, and verifies it for a list that has it", async () => {
      const { deps } = await setup(engine)
      const otp = await send(deps, { code: '123456' })
      const forbidden = () => verifyOtp(deps, { otpId: otp.id, codeHash: hash(otp.id, '123456'), allowedSessions: ['shop-2', 'shop-3'] })
      await assert.rejects(forbidden, isAppError('SESSION_FORBIDDEN'))
      await assert.rejects(forbidden, isAppError('SESSION_FORBIDDEN'))
      assert.equal((await getOtp(deps, { otpId: otp.id })).attempts, 0, 'a refused attempt is not counted')
      assert.deepEqual(await verifyOtp(deps, { otpId: otp.id, codeHash: hash(otp.id, '123456'), allowedSessions: ['shop-2', SESSION] }), {
        otpId: otp.id,
        valid: true,
        status: 'approved',
        attemptsLeft: 4
      })
    })

    it('answers OTP_NOT_FOUND for an unknown id', async () => {
      const { deps } = await setup(engine)
      await assert.rejects(verify(deps, 'nope', '123456'), isAppError('OTP_NOT_FOUND'))
      await assert.rejects(getOtp(deps, { otpId: 'nope' }), isAppError('OTP_NOT_FOUND'))
      await assert.rejects(cancelOtp(deps, { otpId: 'nope' }), isAppError('OTP_NOT_FOUND'))
      await assert.rejects(attachMessageId(deps, { otpId: 'nope', messageId: 'm' }), isAppError('OTP_NOT_FOUND'))
      await assert.rejects(markOtpFailed(deps, { otpId: 'nope' }), isAppError('OTP_NOT_FOUND'))
    })
  })

  describe(`the latest OTP to a number (${engine})`, () => {
    it('a new OTP supersedes the pending one: the old code is refused, the new one approved', async () => {
      const fixture = await setup(engine)
      const { deps } = fixture
      // An endpoint that wants every event, so the journal keeps them.
      await syncGlobalEndpoint(deps.db, { url: 'https://hooks.example.com/otp', secrets: [`whsec_${Buffer.alloc(32, 1).toString('base64')}`] })
      const first = await send(deps, { code: '111111' })
      fixture.advance(30_000)
      const second = await send(deps, { code: '222222' })

      assert.equal((await getOtp(deps, { otpId: first.id })).status, 'canceled')
      assert.equal((await verify(deps, first.id, '111111')).status, 'canceled')
      const { webhookEvents } = tablesOf(deps.db)
      const events = await deps.db.select({ payload: webhookEvents.payload }).from(webhookEvents).where(eq(webhookEvents.type, 'otp.status'))
      assert.deepEqual(
        events.map(event => event.payload),
        [{ sessionId: SESSION, otpId: first.id, messageId: null, status: 'canceled', delivery: null, reason: 'superseded' }],
        'the superseded OTP says so in an otp.status event'
      )
      const latest = await findLatestPendingOtp(deps, { sessionId: SESSION, destination: TO })
      assert.equal(latest.id, second.id)
      assert.deepEqual(await verify(deps, latest.id, '222222'), { otpId: second.id, valid: true, status: 'approved', attemptsLeft: 4 })
      await assert.rejects(findLatestPendingOtp(deps, { sessionId: SESSION, destination: TO }), isAppError('OTP_NOT_FOUND'))
    })

    it('marks a superseded OTP that had already run out as expired, not canceled', async () => {
      const fixture = await setup(engine)
      const first = await send(fixture.deps, { ttlSeconds: 10 })
      fixture.advance(30_000)
      await send(fixture.deps)
      assert.equal((await getOtp(fixture.deps, { otpId: first.id })).status, 'expired')
    })

    it('supersedes or expires a pending OTP sent before the send-limit window too', async () => {
      const fixture = await setup(engine)
      const longLived = await send(fixture.deps, { ttlSeconds: 3600 })
      fixture.advance(20 * 60_000)
      const next = await send(fixture.deps, { ttlSeconds: 600 })
      assert.equal((await getOtp(fixture.deps, { otpId: longLived.id })).status, 'canceled')
      // Not swept yet when the next one comes, 20 minutes on: it ran out, so it is expired.
      fixture.advance(20 * 60_000)
      await send(fixture.deps)
      const { otps } = tablesOf(fixture.deps.db)
      const [stored] = await fixture.deps.db.select({ status: otps.status }).from(otps).where(eq(otps.id, next.id))
      assert.equal(stored?.status, 'expired')
    })

    it('leaves OTPs to other numbers and other sessions pending', async () => {
      const { deps } = await setup(engine)
      await addSession(deps.db, 'shop-2')
      const other = await send(deps, { to: '15550001111' })
      const otherSession = await send(deps, { sessionId: 'shop-2' })
      await send(deps)
      assert.equal((await getOtp(deps, { otpId: other.id })).status, 'pending')
      assert.equal((await getOtp(deps, { otpId: otherSession.id })).status, 'pending')
      assert.equal((await findLatestPendingOtp(deps, { sessionId: 'shop-2', destination: TO })).id, otherSession.id)
    })

    it('finds a pending OTP past its expiry, so that verifying it answers expired', async () => {
      const fixture = await setup(engine)
      const otp = await send(fixture.deps, { code: '123456', ttlSeconds: 60 })
      fixture.advance(120_000)
      const latest = await findLatestPendingOtp(fixture.deps, { sessionId: SESSION, destination: TO })
      assert.equal((await verify(fixture.deps, latest.id, '123456')).status, 'expired')
      assert.equal(latest.id, otp.id)
    })

    it('expires a backlog in batches, each OTP once', async () => {
      const fixture = await setup(engine)
      for (const to of ['15550001111', '15550002222', '15550003333']) await send(fixture.deps, { to, ttlSeconds: 60 })
      fixture.advance(120_000)
      const batches: number[] = []
      for (let i = 0; i < 3; i++) batches.push(await expireDueOtps(fixture.deps.db, fixture.deps.clock(), 2))
      assert.deepEqual(batches, [2, 1, 0])
    })

    it('still finds it once the sweep has expired it, so verifying by number answers expired, not not-found', async () => {
      const fixture = await setup(engine)
      const otp = await send(fixture.deps, { code: '123456', ttlSeconds: 60 })
      fixture.advance(120_000)
      assert.equal(await expireDueOtps(fixture.deps.db, fixture.deps.clock()), 1)
      const latest = await findLatestPendingOtp(fixture.deps, { sessionId: SESSION, destination: TO })
      assert.deepEqual([latest.id, latest.status], [otp.id, 'expired'])
      assert.equal((await verify(fixture.deps, latest.id, '123456')).status, 'expired')
    })
  })

  describe(`the stored record (${engine})`, () => {
    it('never exposes the code hash', async () => {
      const { deps } = await setup(engine)
      const otp = await send(deps)
      const codeHash = await storedHash(deps.db, otp.id)
      assert.ok(codeHash)
      const shown = [
        otp,
        await getOtp(deps, { otpId: otp.id }),
        await findLatestPendingOtp(deps, { sessionId: SESSION, destination: TO }),
        await attachMessageId(deps, { otpId: otp.id, messageId: 'wamid-1' }),
        await verify(deps, otp.id, '000000'),
        await cancelOtp(deps, { otpId: otp.id }),
        await markOtpFailed(deps, { otpId: otp.id })
      ]
      for (const value of shown) {
        assert.ok(!('codeHash' in value))
        assert.ok(!JSON.stringify(value).includes(codeHash))
      }
    })

    it('keeps the message id', async () => {
      const { deps } = await setup(engine)
      const otp = await send(deps)
      await attachMessageId(deps, { otpId: otp.id, messageId: 'wamid-1' })
      assert.equal((await getOtp(deps, { otpId: otp.id })).messageId, 'wamid-1')
    })

    it('cancels only a pending OTP: an approved one stays approved and the refusal is 409 OTP_NOT_PENDING', async () => {
      const { deps } = await setup(engine)
      const pending = await send(deps, { code: '123456' })
      assert.equal((await cancelOtp(deps, { otpId: pending.id })).status, 'canceled')
      const otp = await send(deps, { code: '123456', to: '6281200000999' })
      await verify(deps, otp.id, '123456')
      await assert.rejects(
        cancelOtp(deps, { otpId: otp.id }),
        isAppError('OTP_NOT_PENDING', error => assert.deepEqual(error.details, { status: 'approved' }))
      )
      assert.equal((await getOtp(deps, { otpId: otp.id })).status, 'approved')
    })

    it('cancels an OTP only for a token that may use its session, leaving it untouched otherwise', async () => {
      const { deps } = await setup(engine)
      const otp = await send(deps, { code: '123456' })
      await assert.rejects(cancelOtp(deps, { otpId: otp.id, allowedSessions: ['shop-2'] }), isAppError('SESSION_FORBIDDEN'))
      assert.equal((await getOtp(deps, { otpId: otp.id })).status, 'pending')
      assert.equal((await cancelOtp(deps, { otpId: otp.id, allowedSessions: ['shop-2', SESSION] })).status, 'canceled')
    })

    it('says when it committed an otp.status event, so the webhook outbox wakes only then', async () => {
      const fixture = await setup(engine)
      let woke = 0
      const deps = { ...fixture.deps, onEvent: () => void woke++ }
      const otp = await send(deps, { code: '123456' })
      await verify(deps, otp.id, '000000')
      assert.equal(woke, 0, 'a wrong code that leaves the OTP pending writes no event')
      await verify(deps, otp.id, '123456')
      assert.equal(woke, 1)
      await cancelOtp(deps, { otpId: (await send(deps, { to: '6281200000999' })).id })
      assert.equal(woke, 2)
      const late = await send(deps, { to: '6281200000888' })
      fixture.advance(301_000)
      await getOtp(deps, { otpId: late.id })
      assert.equal(woke, 3, 'a read that expires the OTP writes its event')
      await markOtpFailed(deps, { otpId: (await send(deps, { to: '6281200000777' })).id, reason: 'send_failed' })
      assert.equal(woke, 4)
    })

    it('marks only a pending OTP as failed', async () => {
      const { deps } = await setup(engine)
      const otp = await send(deps, { code: '123456' })
      await verify(deps, otp.id, '123456')
      assert.equal((await markOtpFailed(deps, { otpId: otp.id })).status, 'approved')
    })

    it('rejects an id containing a colon', async () => {
      const { deps } = await setup(engine)
      await assert.rejects(createOtp(deps, { id: 'a:b', sessionId: SESSION, destination: TO, codeHash: 'h', ttlSeconds: 60 }))
    })

    it('goes with its session', async () => {
      const { deps } = await setup(engine)
      const otp = await send(deps)
      const { sessions } = tablesOf(deps.db)
      await deps.db.delete(sessions).where(eq(sessions.id, SESSION))
      await assert.rejects(getOtp(deps, { otpId: otp.id }), isAppError('OTP_NOT_FOUND'))
    })
  })
}
