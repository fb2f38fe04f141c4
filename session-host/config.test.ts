import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { parseHostConfig } from './config.ts'

const base = { INTERNAL_SECRET: 'internal-secret-for-tests-0123456789' }
const SECRET = 'whsec_' + Buffer.alloc(32, 7).toString('base64')

describe('session host configuration: webhooks', () => {
  it('reads the global webhook, its rotation secrets and its event filter', () => {
    const config = parseHostConfig({ ...base, GATEWAY_URL: 'http://127.0.0.1:3000', WEBHOOK_URL: 'https://ops.example/hook', WEBHOOK_SECRET: `${SECRET} ${SECRET}`, WEBHOOK_EVENTS: 'otp.status, message.status' })
    assert.deepEqual(config.WEBHOOK_SECRET, [SECRET, SECRET])
    assert.deepEqual(config.WEBHOOK_EVENTS, ['otp.status', 'message.status'])
  })

  it('refuses a webhook URL without a secret, a malformed secret and unknown events, without echoing values', () => {
    assert.throws(() => parseHostConfig({ ...base, WEBHOOK_URL: 'https://ops.example/hook' }), /WEBHOOK_SECRET/)
    assert.throws(() => parseHostConfig({ ...base, WEBHOOK_URL: 'https://ops.example/hook', WEBHOOK_SECRET: 'plain-secret-value' }), error => {
      assert.match(String(error), /WEBHOOK_SECRET/)
      assert.doesNotMatch(String(error), /plain-secret-value/)
      return true
    })
    assert.throws(() => parseHostConfig({ ...base, WEBHOOK_EVENTS: 'otp.sent' }), /WEBHOOK_EVENTS/)
  })
})
