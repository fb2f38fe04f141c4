import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { Webhook } from 'standardwebhooks'
import { generateWebhookSecret, isWebhookSecret, signWebhook } from './standard-webhooks.ts'

// The receiver side is the off-the-shelf `standardwebhooks` package, not our code.
const body = JSON.stringify({ type: 'otp.status', timestamp: '2026-01-01T00:00:00.000Z', data: { otpId: 'otp_1', status: 'approved' } })

describe('Standard Webhooks signing', () => {
  it('produces signatures that the standardwebhooks library accepts', async () => {
    const secret = generateWebhookSecret()
    const headers = await signWebhook({ id: 'evt_1', timestamp: Date.now(), body, secrets: [secret] })
    assert.deepEqual(new Webhook(secret).verify(body, headers), JSON.parse(body))
  })

  it('fails verification of a tampered body', async () => {
    const secret = generateWebhookSecret()
    const headers = await signWebhook({ id: 'evt_1', timestamp: Date.now(), body, secrets: [secret] })
    assert.throws(() => new Webhook(secret).verify(body.replace('approved', 'pending'), headers), /No matching signature/)
  })

  it('fails verification with the wrong secret', async () => {
    const headers = await signWebhook({ id: 'evt_1', timestamp: Date.now(), body, secrets: [generateWebhookSecret()] })
    assert.throws(() => new Webhook(generateWebhookSecret()).verify(body, headers), /No matching signature/)
  })

  it('fails verification when the timestamp is outside the tolerance', async () => {
    const secret = generateWebhookSecret()
    const old = await signWebhook({ id: 'evt_1', timestamp: Date.now() - 10 * 60_000, body, secrets: [secret] })
    assert.throws(() => new Webhook(secret).verify(body, old), /too old/)
    const future = await signWebhook({ id: 'evt_1', timestamp: Date.now() + 10 * 60_000, body, secrets: [secret] })
    assert.throws(() => new Webhook(secret).verify(body, future), /too new/)
  })

  it('signs with every secret during a rotation, so the old and the new one both verify', async () => {
    const [next, previous] = [generateWebhookSecret(), generateWebhookSecret()]
    const headers = await signWebhook({ id: 'evt_2', timestamp: Date.now(), body, secrets: [next, previous] })
    assert.equal(headers['webhook-signature']?.split(' ').length, 2)
    assert.ok(new Webhook(next).verify(body, headers))
    assert.ok(new Webhook(previous).verify(body, headers))
  })

  it('generates distinct whsec_ secrets of 32 bytes', () => {
    const a = generateWebhookSecret()
    assert.ok(isWebhookSecret(a))
    assert.notEqual(a, generateWebhookSecret())
    assert.equal(Buffer.from(a.slice(6), 'base64').length, 32)
    assert.equal(isWebhookSecret('whsec_short'), false)
    assert.equal(isWebhookSecret('secret-without-prefix-0123456789abcdef'), false)
  })
})
