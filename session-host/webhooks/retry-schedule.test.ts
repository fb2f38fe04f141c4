import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { DEFAULT_RETRY_POLICY, nextAttemptAt } from './retry-schedule.ts'

describe('webhook retry schedule', () => {
  it('keeps retrying for at least 24 hours, even when every jittered delay is the longest', () => {
    let now = 0
    let attempts = 0
    for (let at: number | undefined = 0; at !== undefined; attempts++) {
      now = at
      at = nextAttemptAt(DEFAULT_RETRY_POLICY, { attempts: attempts + 1, firstFailedAt: 0, now, random: () => 1 })
    }
    assert.ok(now >= 24 * 3600_000, `last attempt at ${now} ms`)
    assert.ok(now < 33 * 3600_000)
  })

  it('keeps retrying for at least 24 hours when the jitter picks the shortest delays', () => {
    let now = 0
    let attempts = 0
    for (let at: number | undefined = 0; at !== undefined; attempts++) {
      now = at
      at = nextAttemptAt(DEFAULT_RETRY_POLICY, { attempts: attempts + 1, firstFailedAt: 0, now, random: () => 0.01 })
    }
    assert.ok(now >= 24 * 3600_000)
  })

  it('grows the delay cap with each failure and spreads delays below it', () => {
    const first = nextAttemptAt(DEFAULT_RETRY_POLICY, { attempts: 1, firstFailedAt: 0, now: 0, random: () => 1 })
    const sixth = nextAttemptAt(DEFAULT_RETRY_POLICY, { attempts: 6, firstFailedAt: 0, now: 0, random: () => 1 })
    const jittered = nextAttemptAt(DEFAULT_RETRY_POLICY, { attempts: 6, firstFailedAt: 0, now: 0, random: () => 0.5 })
    assert.equal(first, 5_000)
    assert.equal(sixth, 3600_000)
    assert.equal(jittered, 1800_000)
  })
})
