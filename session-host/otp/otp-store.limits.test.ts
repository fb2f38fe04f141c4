import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { ENGINES } from '../../test/support/test-database.ts'
import { createOtp, getOtp } from './otp-store.ts'
import { addSession, hash, isAppError, send, SESSION, setup, T0, TO } from './otp-store.fixture.ts'

for (const engine of ENGINES) {
  describe(`send limits (${engine})`, () => {
    it('answers RATE_LIMITED with Retry-After during the resend cooldown, and sends again after it', async () => {
      const fixture = await setup(engine)
      const { deps } = fixture
      const first = await send(deps)
      fixture.advance(10_000)
      await assert.rejects(
        send(deps),
        isAppError('RATE_LIMITED', error => {
          assert.equal(error.status, 429)
          assert.deepEqual(error.details, { retryAfterSeconds: 20 })
          assert.deepEqual(error.headers, { 'Retry-After': '20' })
        })
      )
      fixture.advance(19_500)
      await assert.rejects(
        send(deps),
        isAppError('RATE_LIMITED', error => assert.equal(error.headers?.['Retry-After'], '1'))
      )
      assert.equal((await getOtp(deps, { otpId: first.id })).status, 'pending', 'a refused send supersedes nothing')
      fixture.advance(500)
      assert.equal((await send(deps)).status, 'pending')
    })

    it('caps the sends per window, and reopens when the oldest send leaves it', async () => {
      const fixture = await setup(engine)
      const { deps } = fixture
      for (let i = 0; i < 5; i++) {
        await send(deps)
        fixture.advance(30_000)
      }
      // Now T0 + 150 s; the first send leaves the 15-minute window at T0 + 900 s.
      await assert.rejects(
        send(deps),
        isAppError('RATE_LIMITED', error => assert.deepEqual(error.details, { retryAfterSeconds: 750 }))
      )
      fixture.setNow(T0 + 899_000)
      await assert.rejects(
        send(deps),
        isAppError('RATE_LIMITED', error => assert.equal(error.headers?.['Retry-After'], '1'))
      )
      fixture.setNow(T0 + 900_000)
      await send(deps)
      await assert.rejects(send(deps), isAppError('RATE_LIMITED'), 'the cooldown applies again after the new send')
    })

    it('counts per number and per session', async () => {
      const { deps } = await setup(engine)
      await addSession(deps.db, 'shop-2')
      await send(deps)
      await send(deps, { to: '15550001111' })
      await send(deps, { sessionId: 'shop-2' })
      await assert.rejects(send(deps), isAppError('RATE_LIMITED'))
    })

    it('takes its limits from the caller', async () => {
      const fixture = await setup(engine)
      const { deps } = fixture
      const limits = { cooldownSeconds: 0, maxPerWindow: 2, windowSeconds: 60 }
      const create = () => {
        const id = randomUUID()
        return createOtp(deps, { id, sessionId: SESSION, destination: TO, codeHash: hash(id, '1'), ttlSeconds: 60, limits })
      }
      await create()
      await create()
      await assert.rejects(
        create,
        isAppError('RATE_LIMITED', error => assert.equal(error.headers?.['Retry-After'], '60'))
      )
      fixture.advance(60_000)
      await create()
    })
  })
}
