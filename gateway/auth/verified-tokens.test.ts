import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createJwtVerifier } from './jwt-verifier.ts'
import { mintToken } from './mint-token.ts'
import type { Principal } from './scopes.ts'
import { createVerifiedTokenCache } from './verified-tokens.ts'

const SECRET = 'verified-token-cache-secret-0123456789'
const principal = (expiresAt: number): Principal => ({ scopes: new Set(['otp:verify']), expiresAt })

describe('the verified-token cache', () => {
  it('keeps a token until the earlier of its expiry and the longest age, and forgets it then', () => {
    let now = 1_000_000
    const cache = createVerifiedTokenCache({ maxAgeMs: 60_000, now: () => now })
    cache.set('short', principal(now + 5_000))
    cache.set('long', principal(now + 3_600_000))
    now += 4_999
    assert.ok(cache.get('short'))
    now += 1
    assert.equal(cache.get('short'), undefined, 'not at its exp')
    now += 55_000 - 1
    assert.ok(cache.get('long'))
    now += 1
    assert.equal(cache.get('long'), undefined, 'checked again after the longest age')
  })

  it('does not keep an expired token or one without exp, and drops the oldest when full', () => {
    const now = 1_000_000
    const cache = createVerifiedTokenCache({ maxEntries: 2, now: () => now })
    cache.set('expired', principal(now))
    cache.set('no exp', { scopes: new Set() })
    assert.equal(cache.size, 0)
    cache.set('a', principal(now + 10_000))
    cache.set('b', principal(now + 10_000))
    cache.set('c', principal(now + 10_000))
    assert.deepEqual(
      ['a', 'b', 'c'].map(token => cache.get(token) !== undefined),
      [false, true, true]
    )
  })

  it('lets the verifier skip a token it checked, never past exp, and never remembers a refusal', async () => {
    let now = Date.now()
    const verifier = createJwtVerifier({ secret: SECRET, now: () => new Date(now) })
    const token = await mintToken({ secret: SECRET, scopes: ['otp:verify'], ttlSeconds: 30 })
    const first = await verifier.verify(token)
    assert.equal(await verifier.verify(token), first, 'the same principal, from the cache')
    now += 31_000
    await assert.rejects(verifier.verify(token), { code: 'TOKEN_EXPIRED' })
    const forged = `${token.slice(0, -4)}AAAA`
    await assert.rejects(verifier.verify(forged), { code: 'UNAUTHORIZED' })
    await assert.rejects(verifier.verify(forged), { code: 'UNAUTHORIZED' })
  })
})
