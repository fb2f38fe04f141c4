import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { startInProcessStack } from '../support/in-process-stack.ts'

type Otp = { otpId: string; status: string; messageId: string; expiresAt: string; to: string }
type Verdict = { otpId: string; valid: boolean; status: string; attemptsLeft: number }

/**
 * What the host promises about an OTP once the gateway sent it: the code the recipient decrypted
 * approves once, wrong codes lock it, it expires, it is limited per number, canceled for good. The
 * gateway's own half (templates, hashing, scopes, bounds) is tested on a fake host in gateway/routes/otp.test.ts.
 */
describe('OTP send and verify through the gateway, the host and the emulator', () => {
  let stack: Awaited<ReturnType<typeof startInProcessStack>>
  let sender: string
  let verifier: string
  let destination = 0
  /** A fresh number per test, so the send limits of one test do not affect another. */
  const nextNumber = () => `0812345670${`${destination++}`.padStart(2, '0')}`

  before(async () => {
    stack = await startInProcessStack()
    await stack.linkSession('shop-1', '15550100001')
    sender = await stack.token('otp:send')
    verifier = await stack.token('otp:verify')
  })
  after(() => stack.stop())

  const send = async (to: string, extra: Record<string, unknown> = {}) => {
    const response = await stack.call('POST', '/api/messages/shop-1/otp', { token: sender, body: { to, ...extra } })
    assert.equal(response.status, 201, JSON.stringify(response.body))
    const otp = response.body.data as Otp
    const received = await stack.sim.waitForSent(m => m.id === otp.messageId)
    const text = received.decrypted.find(c => c.jid.startsWith('62'))?.message.extendedTextMessage?.text ?? ''
    return { otp, text, code: /\b(\d{4,10})\b/.exec(text)?.[1] ?? '' }
  }
  const verify = async (body: Record<string, unknown>) => {
    const response = await stack.call('POST', '/api/otp/verify', { token: verifier, body })
    assert.equal(response.status, 200, JSON.stringify(response.body))
    return response.body.data as Verdict
  }

  it('approves the right code once and never again', async () => {
    const { otp, code } = await send(nextNumber())
    assert.deepEqual(await verify({ otpId: otp.otpId, code }), { otpId: otp.otpId, valid: true, status: 'approved', attemptsLeft: 4 })
    const again = await verify({ otpId: otp.otpId, code })
    assert.equal(again.valid, false)
    assert.equal(again.status, 'approved')
  })

  it('counts wrong codes, locks after the fifth, and then refuses the right one', async () => {
    const { otp, code } = await send(nextNumber())
    const wrong = code === '000000' ? '111111' : '000000'
    for (let left = 4; left >= 1; left--)
      assert.deepEqual(await verify({ otpId: otp.otpId, code: wrong }), { otpId: otp.otpId, valid: false, status: 'pending', attemptsLeft: left })
    assert.equal((await verify({ otpId: otp.otpId, code: wrong })).status, 'max_attempts_reached')
    const right = await verify({ otpId: otp.otpId, code })
    assert.equal(right.valid, false)
    assert.equal(right.status, 'max_attempts_reached')
  })

  it('answers expired for a code past its TTL', async () => {
    const { otp, code } = await send(nextNumber(), { ttlSeconds: 60 })
    stack.advanceClock(61_000)
    const verdict = await verify({ otpId: otp.otpId, code })
    assert.equal(verdict.valid, false)
    assert.equal(verdict.status, 'expired')
  })

  it('approves exactly one of 20 concurrent verifies of the right code', async () => {
    const { otp, code } = await send(nextNumber())
    const verdicts = await Promise.all(Array.from({ length: 20 }, () => verify({ otpId: otp.otpId, code })))
    assert.equal(verdicts.filter(v => v.valid).length, 1)
  })

  it('verifies the latest code by session and number', async () => {
    const number = nextNumber()
    const { code } = await send(number)
    const verdict = await verify({ sessionId: 'shop-1', to: number, code })
    assert.equal(verdict.valid, true)
  })

  it('limits resends to a number: 429 with Retry-After within the cooldown', async () => {
    const number = nextNumber()
    await send(number)
    const again = await stack.call('POST', '/api/messages/shop-1/otp', { token: sender, body: { to: number } })
    assert.equal(again.status, 429)
    assert.equal(again.body.error.code, 'RATE_LIMITED')
    assert.ok(Number(again.headers.get('retry-after')) > 0)
  })

  it('shows and cancels an OTP without its code', async () => {
    const { otp, code } = await send(nextNumber())
    const shown = await stack.call('GET', `/api/otp/${otp.otpId}`, { token: verifier })
    assert.equal((shown.body.data as Otp).status, 'pending')
    assert.ok(!JSON.stringify(shown.body).includes(code))
    const outsider = await stack.token('otp:send', { sessions: ['shop-2'] })
    const refused = await stack.call('POST', `/api/otp/${otp.otpId}/cancel`, { token: outsider })
    assert.equal(refused.status, 403)
    assert.equal(refused.body.error.code, 'SESSION_FORBIDDEN')
    assert.equal(
      ((await stack.call('GET', `/api/otp/${otp.otpId}`, { token: verifier })).body.data as Otp).status,
      'pending',
      'a refused cancel leaves the OTP as it was'
    )
    const canceled = await stack.call('POST', `/api/otp/${otp.otpId}/cancel`, { token: sender })
    assert.equal((canceled.body.data as Otp).status, 'canceled')
    assert.equal((await verify({ otpId: otp.otpId, code })).status, 'canceled')
  })

  it('refuses to verify without the otp:verify scope, or for a session outside the token', async () => {
    const { otp, code } = await send(nextNumber())
    assert.equal((await stack.call('POST', '/api/otp/verify', { token: sender, body: { otpId: otp.otpId, code } })).status, 403)
    const other = await stack.token('otp:verify', { sessions: ['shop-2'] })
    const forbidden = await stack.call('POST', '/api/otp/verify', { token: other, body: { otpId: otp.otpId, code } })
    assert.equal(forbidden.status, 403)
    assert.equal(forbidden.body.error.code, 'SESSION_FORBIDDEN')
    // Neither refusal spent an attempt.
    assert.deepEqual(await verify({ otpId: otp.otpId, code }), { otpId: otp.otpId, valid: true, status: 'approved', attemptsLeft: 4 })
  })
})
