import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { parseHostConfig, retryPolicy } from './config.ts'

const base = { INTERNAL_SECRET: 'internal-secret-for-tests-0123456789' }
const SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`

describe('session host configuration: webhooks', () => {
  it('reads the global webhook, its rotation secrets and its event filter', () => {
    const config = parseHostConfig({
      ...base,
      GATEWAY_URL: 'http://127.0.0.1:3000',
      WEBHOOK_URL: 'https://ops.example/hook',
      WEBHOOK_SECRET: `${SECRET} ${SECRET}`,
      WEBHOOK_EVENTS: 'otp.status, message.status'
    })
    assert.deepEqual(config.WEBHOOK_SECRET, [SECRET, SECRET])
    assert.deepEqual(config.WEBHOOK_EVENTS, ['otp.status', 'message.status'])
  })

  it('refuses a webhook URL without a secret, a malformed secret and unknown events, without echoing values', () => {
    assert.throws(() => parseHostConfig({ ...base, WEBHOOK_URL: 'https://ops.example/hook' }), /WEBHOOK_SECRET/)
    assert.throws(
      () => parseHostConfig({ ...base, WEBHOOK_URL: 'https://ops.example/hook', WEBHOOK_SECRET: 'plain-secret-value' }),
      error => {
        assert.match(String(error), /WEBHOOK_SECRET/)
        assert.doesNotMatch(String(error), /plain-secret-value/)
        return true
      }
    )
    assert.throws(() => parseHostConfig({ ...base, WEBHOOK_EVENTS: 'otp.sent' }), /WEBHOOK_EVENTS/)
  })

  it('keeps the day-long retry schedule unless the operator shortens it', () => {
    assert.deepEqual(retryPolicy(parseHostConfig(base)), {})
    assert.deepEqual(retryPolicy(parseHostConfig({ ...base, WEBHOOK_RETRY_DELAYS_MS: '200, 500,2000', WEBHOOK_RETRY_FOR_MS: '60000' })), {
      capsMs: [200, 500, 2000],
      minDelayMs: 200,
      retryForMs: 60_000
    })
    assert.throws(() => parseHostConfig({ ...base, WEBHOOK_RETRY_DELAYS_MS: '5s' }), /WEBHOOK_RETRY_DELAYS_MS/)
  })
})

describe('session host configuration: liveness watchdog', () => {
  it('watches every session by default, can be turned off with 0, and refuses timeouts too short to mean anything', () => {
    const defaults = parseHostConfig(base)
    assert.deepEqual([defaults.WATCHDOG_TIMEOUT_MS, defaults.WATCHDOG_PROBE_MS], [30_000, 60_000])
    assert.equal(parseHostConfig({ ...base, WATCHDOG_TIMEOUT_MS: '0' }).WATCHDOG_TIMEOUT_MS, 0)
    assert.throws(() => parseHostConfig({ ...base, WATCHDOG_TIMEOUT_MS: '100' }), /WATCHDOG_TIMEOUT_MS/)
    assert.throws(() => parseHostConfig({ ...base, WATCHDOG_TIMEOUT_MS: '-1' }), /WATCHDOG_TIMEOUT_MS/)
    assert.throws(() => parseHostConfig({ ...base, WATCHDOG_PROBE_MS: '0' }), /WATCHDOG_PROBE_MS/)
  })
})

describe('session host configuration: an emulator endpoint', () => {
  it('reads the root an emulator signs its noise certificates with, only beside WA_WEBSOCKET_URL', () => {
    const key = 'ab'.repeat(32)
    const config = parseHostConfig({ ...base, WA_WEBSOCKET_URL: 'ws://127.0.0.1:9/ws/chat', WA_NOISE_ROOT_KEY: key })
    assert.deepEqual(config.WA_NOISE_ROOT_KEY, Buffer.from(key, 'hex'))
    assert.equal(parseHostConfig(base).WA_NOISE_ROOT_KEY, undefined)
    assert.throws(() => parseHostConfig({ ...base, WA_NOISE_ROOT_KEY: key }), /WA_NOISE_ROOT_KEY: only applies with WA_WEBSOCKET_URL/)
    assert.throws(
      () => parseHostConfig({ ...base, WA_WEBSOCKET_URL: 'ws://127.0.0.1:9/ws/chat', WA_NOISE_ROOT_KEY: 'ab'.repeat(31) }),
      /WA_NOISE_ROOT_KEY: must be a 32-byte key/
    )
  })
})
