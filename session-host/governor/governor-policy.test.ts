import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { dailyNewChatCap, decideNewChat, whatsappCapReached } from './governor-policy.ts'
import type { GovernorDefaults, GovernorState } from './governor-policy.ts'

const DAY = 86_400_000
const NOW = Date.parse('2026-12-01T12:00:00.000Z')
const DEFAULTS: GovernorDefaults = { enabled: true, startPerDay: 20, maxPerDay: 200, gapMs: 8_000, breakerAfter: 3, pauseMs: 6 * 3_600_000 }
const FRESH: GovernorState = { linkedAt: new Date(NOW), day: '', newChats: 0, nextNewChatAt: null, pausedAt: null, pausedReason: null, whatsappCap: null }

describe('governor policy', () => {
  it('starts a new account low and grows the daily cap with its age, up to the most', () => {
    assert.equal(dailyNewChatCap(0, DEFAULTS, null), 20)
    assert.equal(dailyNewChatCap(DAY - 1, DEFAULTS, null), 20)
    assert.equal(dailyNewChatCap(DAY, DEFAULTS, null), 40)
    assert.equal(dailyNewChatCap(4.5 * DAY, DEFAULTS, null), 100)
    assert.equal(dailyNewChatCap(365 * DAY, DEFAULTS, null), 200)
    assert.equal(dailyNewChatCap(365 * DAY, DEFAULTS, { newChatsPerDay: 5 }), 5, "a session's own cap wins")
  })

  it('jitters the gap between first messages by ±50% of the mean', () => {
    const gaps = [0, 0.25, 0.999].map(random => {
      const decision = decideNewChat({ state: FRESH, settings: null, defaults: DEFAULTS, otp: false, now: NOW, random })
      assert.ok(decision.admit)
      return (decision.next.nextNewChatAt?.getTime() ?? 0) - NOW
    })
    assert.deepEqual(
      gaps.map(gap => Math.round(gap)),
      [4_000, 6_000, 11_992]
    )
  })

  it('starts the day count again on a new UTC day', () => {
    const yesterday = { ...FRESH, day: '2026-11-30', newChats: 20 }
    const decision = decideNewChat({ state: yesterday, settings: null, defaults: DEFAULTS, otp: false, now: NOW, random: 0.5 })
    assert.ok(decision.admit)
    assert.equal(decision.next.newChats, 1)
    assert.equal(decision.next.day, '2026-12-01')
  })

  it("lets WhatsApp's cap go once its cycle has ended", () => {
    const cap = { total: 10, used: 10, cycleEndsAt: new Date(NOW + 1000).toISOString(), status: 'CAPPED', reportedAt: new Date(NOW).toISOString() }
    assert.deepEqual(whatsappCapReached(cap, NOW), { until: NOW + 1000 })
    assert.equal(whatsappCapReached(cap, NOW + 1000), undefined)
    assert.equal(whatsappCapReached({ ...cap, used: 3, status: 'FIRST_WARNING' }, NOW), undefined, 'a warning is not a cap')
  })
})
