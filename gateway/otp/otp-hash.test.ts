import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { hashOtpCode, importPepper, otpCodeMatches } from './otp-hash.ts'

const pepper = 'a-server-side-pepper-of-decent-length'
const otpId = 'otp_01JABCDEF'
const code = '482913'

const base64UrlAlphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

// Sets an unused low bit of the last character: a lenient decoder would read the same bytes.
function nonCanonical(hash: string): string {
  const last = base64UrlAlphabet.indexOf(hash.slice(-1))
  return hash.slice(0, -1) + base64UrlAlphabet.charAt(last + 1)
}

describe('hashOtpCode', () => {
  it('produces an unpadded base64url HMAC-SHA256 of "otpId:code"', async () => {
    const hash = await hashOtpCode({ pepper, otpId, code })
    assert.match(hash, /^[A-Za-z0-9_-]{43}$/)
    // Reference value computed independently: HMAC-SHA256("key", "id:1234").
    assert.equal(await hashOtpCode({ pepper: 'key', otpId: 'id', code: '1234' }), 'oJKyqWhQkKcZrSSkOKt2a6N6lquJ5_9IpHKLPvVvLYQ')
  })

  it('never contains the code', async () => {
    for (const candidate of ['0000', '123456', '9876543210']) {
      const hash = await hashOtpCode({ pepper, otpId, code: candidate })
      assert.ok(!hash.includes(candidate))
    }
  })

  it('is the same for a string pepper, its bytes, or an imported key', async () => {
    const fromString = await hashOtpCode({ pepper, otpId, code })
    const fromBytes = await hashOtpCode({ pepper: new TextEncoder().encode(pepper), otpId, code })
    const fromKey = await hashOtpCode({ pepper: await importPepper(pepper), otpId, code })
    assert.equal(fromBytes, fromString)
    assert.equal(fromKey, fromString)
  })

  it('is the same through a signer holding the pepper (node:crypto on Node)', async () => {
    const signer = { sign: (data: Uint8Array) => createHmac('sha256', pepper).update(data).digest() }
    assert.equal(await hashOtpCode({ pepper: signer, otpId, code }), await hashOtpCode({ pepper, otpId, code }))
    await assert.rejects(hashOtpCode({ pepper: signer, otpId: 'a:b', code }), RangeError)
  })

  it('refuses an empty pepper and an OTP id with the separator', async () => {
    await assert.rejects(hashOtpCode({ pepper: '', otpId, code }), RangeError)
    await assert.rejects(hashOtpCode({ pepper, otpId: 'a:b', code }), RangeError)
  })
})

describe('otpCodeMatches', () => {
  it('accepts the right code', async () => {
    const expectedHash = await hashOtpCode({ pepper, otpId, code })
    assert.equal(await otpCodeMatches({ pepper, otpId, code, expectedHash }), true)
    const key = await importPepper(pepper)
    assert.equal(await otpCodeMatches({ pepper: key, otpId, code, expectedHash }), true)
  })

  it('rejects a wrong code, another OTP id and another pepper', async () => {
    const expectedHash = await hashOtpCode({ pepper, otpId, code })
    assert.equal(await otpCodeMatches({ pepper, otpId, code: '482914', expectedHash }), false)
    assert.equal(await otpCodeMatches({ pepper, otpId, code: '', expectedHash }), false)
    assert.equal(await otpCodeMatches({ pepper, otpId: 'otp_01JABCDEG', code, expectedHash }), false)
    assert.equal(await otpCodeMatches({ pepper: `${pepper}!`, otpId, code, expectedHash }), false)
  })

  it('does not let "id" + "1:2" pass for "id:1" + "2"', async () => {
    const expectedHash = await hashOtpCode({ pepper, otpId: 'id', code: '1:2' })
    await assert.rejects(otpCodeMatches({ pepper, otpId: 'id:1', code: '2', expectedHash }), RangeError)
  })

  it('answers false for a malformed expected hash', async () => {
    const expectedHash = await hashOtpCode({ pepper, otpId, code })
    const malformed = [
      '',
      'not a hash',
      expectedHash.slice(0, -1),
      `${expectedHash}A`,
      `${expectedHash}=`,
      expectedHash.replace(/.$/, '+'),
      nonCanonical(expectedHash),
      expectedHash.replace(/-/g, '+').replace(/_/g, '/')
    ].filter(candidate => candidate !== expectedHash)
    for (const candidate of malformed) {
      assert.equal(await otpCodeMatches({ pepper, otpId, code, expectedHash: candidate }), false, candidate)
    }
  })
})
