import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { decodeJwt, decodeProtectedHeader } from 'jose'
import { mintToken, parseTtl, type MintTokenInput } from './mint-token.ts'

const secret = 'mint-test-secret-that-is-long-enough-for-hs256'

describe('parseTtl', () => {
  it('reads days, hours, minutes and plain seconds', () => {
    assert.equal(parseTtl('30d'), 30 * 86_400)
    assert.equal(parseTtl('12h'), 12 * 3600)
    assert.equal(parseTtl('15m'), 900)
    assert.equal(parseTtl('45s'), 45)
    assert.equal(parseTtl('3600'), 3600)
  })

  it('refuses anything else', () => {
    for (const value of ['', '0', '0d', '-5m', '1y', '1.5h', 'h', '30 d', '1e3', '12345678901']) {
      assert.throws(() => parseTtl(value), RangeError, value)
    }
  })
})

describe('mintToken', () => {
  it('signs an HS256 token with scope, sessions, iat, exp and a random jti', async () => {
    const input: MintTokenInput = { secret, scopes: ['otp:send', 'otp:verify'], sessions: ['shop-1'], ttlSeconds: 600, subject: 'crm' }
    const token = await mintToken(input)
    const claims = decodeJwt(token)
    assert.equal(decodeProtectedHeader(token).alg, 'HS256')
    assert.equal(claims.scope, 'otp:send otp:verify')
    assert.deepEqual(claims.sessions, ['shop-1'])
    assert.equal(claims.sub, 'crm')
    assert.equal((claims.exp ?? 0) - (claims.iat ?? 0), 600)
    assert.notEqual(decodeJwt(await mintToken({ ...input, scopes: ['otp:send'] })).jti, claims.jti)
  })

  it('refuses inputs that would make a useless or unsafe token', async () => {
    const base: MintTokenInput = { secret, scopes: ['admin'], ttlSeconds: 60 }
    await assert.rejects(mintToken({ ...base, secret: 'short' }), RangeError)
    await assert.rejects(mintToken({ ...base, scopes: [] }), RangeError)
    await assert.rejects(mintToken({ ...base, ttlSeconds: 0 }), RangeError)
    await assert.rejects(mintToken({ ...base, ttlSeconds: 1.5 }), RangeError)
    await assert.rejects(mintToken({ ...base, sessions: [] }), RangeError)
    await assert.rejects(mintToken({ ...base, sessions: ['shop 1'] }), RangeError)
  })
})
