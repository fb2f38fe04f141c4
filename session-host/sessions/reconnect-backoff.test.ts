import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { reconnectDelayMs } from './reconnect-backoff.ts'

describe('reconnect backoff', () => {
  it('doubles the ceiling per attempt up to the cap', () => {
    const ceiling = (attempt: number) => reconnectDelayMs(attempt, { baseMs: 100, maxMs: 5_000 }, () => 0.999999)
    assert.deepEqual([0, 1, 2, 3, 6, 40].map(ceiling), [99, 199, 399, 799, 4_999, 4_999])
  })

  it('spreads attempts over the whole window (full jitter)', () => {
    assert.equal(
      reconnectDelayMs(3, { baseMs: 100, maxMs: 5_000 }, () => 0),
      0
    )
    assert.equal(
      reconnectDelayMs(3, { baseMs: 100, maxMs: 5_000 }, () => 0.5),
      400
    )
  })
})
