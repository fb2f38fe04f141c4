import { describe, it, mock } from 'node:test'
import assert from 'node:assert/strict'
import { generateOtpCode } from './otp-code.ts'

const digitCount = 500_000
// Chi-square with 9 degrees of freedom: P(X > 40) ≈ 1e-5 for a fair generator. A generator that
// folds all 256 byte values with `% 10` lands near 190 at this sample size.
const chiSquareLimit = 40

function digitFrequencies(draw: (length: number) => string): number[] {
  const counts = new Array<number>(10).fill(0)
  for (let drawn = 0; drawn < digitCount; drawn += 10) {
    for (const digit of draw(10)) counts[Number(digit)] = (counts[Number(digit)] ?? 0) + 1
  }
  return counts
}

function chiSquare(counts: number[]): number {
  const total = counts.reduce((sum, count) => sum + count, 0)
  const expected = total / counts.length
  return counts.reduce((sum, count) => sum + (count - expected) ** 2 / expected, 0)
}

function biasedOtpCode(length: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length))
  return Array.from(bytes, byte => String(byte % 10)).join('')
}

// Stands in for the CSPRNG: each call gets the next batch, padded with 255 (a byte that is rejected).
function withRandomBytes<T>(batches: number[][], run: () => T): T {
  const queue = [...batches]
  mock.method(crypto, 'getRandomValues', (array: Uint8Array) => {
    const batch = queue.shift()
    if (batch === undefined) throw new Error('the test ran out of random bytes')
    array.fill(255)
    array.set(batch)
    return array
  })
  try {
    return run()
  } finally {
    mock.restoreAll()
  }
}

describe('generateOtpCode', () => {
  it('makes codes of 4 to 10 digits', () => {
    for (let length = 4; length <= 10; length++) {
      assert.match(generateOtpCode(length), new RegExp(`^[0-9]{${length}}$`))
    }
  })

  it('refuses lengths outside 4 to 10', () => {
    for (const length of [3, 11, 0, -6, 6.5, Number.NaN]) {
      assert.throws(() => generateOtpCode(length), RangeError)
    }
  })

  it('keeps leading zeros', () => {
    assert.equal(
      withRandomBytes([[0, 0, 7, 1]], () => generateOtpCode(4)),
      '0071'
    )
  })

  it('throws away bytes 250 to 255 instead of folding them into 0 to 5', () => {
    const batches = [[250, 251, 252, 253, 254, 255, 249, 10], [], [123, 42, 7]]
    assert.equal(
      withRandomBytes(batches, () => generateOtpCode(4)),
      '9032'
    )
  })

  it('draws every digit equally often', () => {
    const counts = digitFrequencies(generateOtpCode)
    for (const count of counts) {
      assert.ok(Math.abs(count / digitCount - 0.1) < 0.002, `digit frequency ${count / digitCount}`)
    }
    assert.ok(chiSquare(counts) < chiSquareLimit, `chi-square ${chiSquare(counts)}`)
  })

  it('has a distribution check that catches a modulo-biased generator', () => {
    const counts = digitFrequencies(biasedOtpCode)
    assert.ok(chiSquare(counts) > chiSquareLimit, `chi-square ${chiSquare(counts)}`)
  })
})
