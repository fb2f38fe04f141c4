import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
// Only the test uses node:crypto: an independent implementation pins the wire format.
import { createHash, createHmac } from 'node:crypto'
import { createNonceCache, signRequest, verifyRequest, type VerifyRequestInput } from './internal-signing.ts'

const SECRET = 'current-secret-0123456789abcdef'
const OLD_SECRET = 'previous-secret-0123456789abcdef'
const NOW = 1_700_000_000_000
const METHOD = 'POST'
const PATH = '/internal/sessions/shop-1/messages?kind=text'
const BODY = '{"to":"6281234567890@s.whatsapp.net","text":"Your code is 123456"}'

async function signed(overrides: Partial<Parameters<typeof signRequest>[0]> = {}) {
  return signRequest({ secret: SECRET, method: METHOD, pathWithQuery: PATH, body: BODY, timestamp: NOW, ...overrides })
}

function verify(headers: Record<string, string>, overrides: Partial<VerifyRequestInput> = {}) {
  return verifyRequest({
    secret: SECRET,
    method: METHOD,
    pathWithQuery: PATH,
    body: BODY,
    headers,
    now: NOW,
    seenNonce: () => false,
    ...overrides
  })
}

describe('signRequest', () => {
  it('returns exactly the four internal headers', async () => {
    const headers = await signed()
    assert.deepEqual(Object.keys(headers).sort(), ['x-internal-content-sha256', 'x-internal-nonce', 'x-internal-signature', 'x-internal-timestamp'])
    assert.equal(headers['x-internal-timestamp'], String(NOW))
    // A random (version 4) UUID, a new one for each request.
    assert.match(headers['x-internal-nonce'] ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    assert.notEqual((await signed())['x-internal-nonce'], headers['x-internal-nonce'])
    assert.match(headers['x-internal-signature'] ?? '', /^v1=[A-Za-z0-9_-]{43}$/)
  })

  it('follows the documented canonical string, byte for byte', async () => {
    const nonce = 'fixed-nonce-123456'
    const headers = await signed({ method: 'post', nonce })
    const digest = createHash('sha256').update(BODY).digest('base64url')
    const canonical = `POST\n${PATH}\n${NOW}\n${nonce}\n${digest}`
    assert.equal(headers['x-internal-content-sha256'], digest)
    assert.equal(headers['x-internal-signature'], `v1=${createHmac('sha256', SECRET).update(canonical).digest('base64url')}`)
  })

  it('digests an absent body as the empty string', async () => {
    const headers = await signed({ method: 'GET', body: undefined })
    assert.equal(headers['x-internal-content-sha256'], createHash('sha256').update('').digest('base64url'))
  })

  it('uses a fresh nonce on every call', async () => {
    const a = await signed()
    const b = await signed()
    assert.notEqual(a['x-internal-nonce'], b['x-internal-nonce'])
    assert.notEqual(a['x-internal-signature'], b['x-internal-signature'])
  })

  it('refuses an empty secret list and nonces that could break the canonical string', async () => {
    await assert.rejects(signed({ secret: [] }), TypeError)
    await assert.rejects(signed({ secret: '' }), TypeError)
    await assert.rejects(signed({ nonce: 'abcdefgh\nGET' }), TypeError)
  })
})

describe('verifyRequest: happy path', () => {
  it('accepts a signed request', async () => {
    assert.deepEqual(await verify(await signed()), { ok: true })
  })

  it('accepts bodies given as bytes or string interchangeably', async () => {
    const bytes = new TextEncoder().encode(BODY)
    assert.deepEqual(await verify(await signed({ body: bytes })), { ok: true })
    assert.deepEqual(await verify(await signed(), { body: bytes }), { ok: true })
  })

  it('accepts a bodiless GET', async () => {
    const headers = await signed({ method: 'GET', pathWithQuery: '/internal/health', body: undefined })
    assert.deepEqual(await verify(headers, { method: 'get', pathWithQuery: '/internal/health', body: undefined }), {
      ok: true
    })
  })

  it('reads a Headers object and header names in any case', async () => {
    const headers = await signed()
    assert.deepEqual(
      await verifyRequest({
        secret: SECRET,
        method: METHOD,
        pathWithQuery: PATH,
        body: BODY,
        now: NOW,
        headers: new Headers(headers),
        seenNonce: () => false
      }),
      { ok: true }
    )
    const shouted = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toUpperCase(), v]))
    assert.deepEqual(await verify(shouted), { ok: true })
  })

  it('accepts timestamps up to the tolerance either side', async () => {
    assert.deepEqual(await verify(await signed(), { now: NOW + 30_000 }), { ok: true })
    assert.deepEqual(await verify(await signed(), { now: NOW - 30_000 }), { ok: true })
  })

  it('hands the nonce and its expiry to seenNonce', async () => {
    const headers = await signed({ nonce: 'nonce-for-expiry' })
    const calls: Array<[string, number]> = []
    await verify(headers, {
      toleranceMs: 5_000,
      seenNonce: (n, exp) => {
        calls.push([n, exp])
        return false
      }
    })
    assert.deepEqual(calls, [['nonce-for-expiry', NOW + 5_000]])
  })
})

describe('verifyRequest: tampering', () => {
  it('rejects a changed method', async () => {
    assert.deepEqual(await verify(await signed(), { method: 'PUT' }), { ok: false, reason: 'bad_signature' })
  })

  it('rejects a changed path or query', async () => {
    const headers = await signed()
    assert.deepEqual(await verify(headers, { pathWithQuery: '/internal/sessions/shop-2/messages?kind=text' }), {
      ok: false,
      reason: 'bad_signature'
    })
    assert.deepEqual(await verify(headers, { pathWithQuery: '/internal/sessions/shop-1/messages?kind=image' }), {
      ok: false,
      reason: 'bad_signature'
    })
  })

  it('rejects a changed body as a bad digest', async () => {
    assert.deepEqual(await verify(await signed(), { body: BODY.replace('123456', '654321') }), {
      ok: false,
      reason: 'bad_digest'
    })
  })

  it('rejects a changed body whose digest header was recomputed', async () => {
    const forged = BODY.replace('123456', '654321')
    const headers = { ...(await signed()), 'x-internal-content-sha256': createHash('sha256').update(forged).digest('base64url') }
    assert.deepEqual(await verify(headers, { body: forged }), { ok: false, reason: 'bad_signature' })
  })

  it('rejects a timestamp moved within the window', async () => {
    const headers = { ...(await signed()), 'x-internal-timestamp': String(NOW + 1) }
    assert.deepEqual(await verify(headers), { ok: false, reason: 'bad_signature' })
  })

  it('rejects a changed nonce', async () => {
    const headers = { ...(await signed({ nonce: 'original-nonce' })), 'x-internal-nonce': 'another-nonce' }
    assert.deepEqual(await verify(headers), { ok: false, reason: 'bad_signature' })
  })

  it('rejects an altered, truncated or garbled signature', async () => {
    const headers = await signed()
    const signature = headers['x-internal-signature'] ?? ''
    const flipped = signature.slice(0, -1) + (signature.endsWith('A') ? 'B' : 'A')
    for (const bad of [flipped, signature.slice(0, -2), 'v1=', 'v1=!!!not-base64!!!', `v1=${'A'.repeat(43)}`]) {
      assert.deepEqual(await verify({ ...headers, 'x-internal-signature': bad }), { ok: false, reason: 'bad_signature' }, bad)
    }
  })

  it('rejects a request signed with another secret', async () => {
    assert.deepEqual(await verify(await signed({ secret: 'someone-elses-secret' })), { ok: false, reason: 'bad_signature' })
  })

  it('does not consult the nonce store when the signature is bad', async () => {
    let called = false
    const result = await verify(await signed(), { method: 'DELETE', seenNonce: () => (called = true) })
    assert.deepEqual(result, { ok: false, reason: 'bad_signature' })
    assert.equal(called, false)
  })
})

describe('verifyRequest: freshness and replay', () => {
  it('rejects a timestamp older or newer than the tolerance as stale', async () => {
    assert.deepEqual(await verify(await signed(), { now: NOW + 30_001 }), { ok: false, reason: 'stale' })
    assert.deepEqual(await verify(await signed(), { now: NOW - 30_001 }), { ok: false, reason: 'stale' })
    assert.deepEqual(await verify(await signed(), { now: NOW + 2_000, toleranceMs: 1_000 }), { ok: false, reason: 'stale' })
  })

  it('rejects a replayed request', async () => {
    const seenNonce = createNonceCache({ now: () => NOW })
    const headers = await signed()
    assert.deepEqual(await verify(headers, { seenNonce }), { ok: true })
    assert.deepEqual(await verify(headers, { seenNonce, now: NOW + 1_000 }), { ok: false, reason: 'replayed' })
  })

  it('supports an asynchronous nonce store', async () => {
    assert.deepEqual(await verify(await signed(), { seenNonce: async () => true }), { ok: false, reason: 'replayed' })
  })

  it('rejects requests with a missing or malformed header', async () => {
    const headers = await signed()
    for (const name of Object.keys(headers)) {
      const { [name]: _dropped, ...rest } = headers
      assert.deepEqual(await verify(rest), { ok: false, reason: 'missing' }, name)
    }
    assert.deepEqual(await verify({ ...headers, 'x-internal-timestamp': 'yesterday' }), { ok: false, reason: 'missing' })
    assert.deepEqual(await verify({ ...headers, 'x-internal-signature': 'v2=abc' }), { ok: false, reason: 'missing' })
  })
})

describe('verifyRequest: secret rotation', () => {
  it('signs with the first secret and still accepts the previous one listed second', async () => {
    const rotated = [SECRET, OLD_SECRET]
    assert.deepEqual(await verify(await signed({ secret: OLD_SECRET }), { secret: rotated }), { ok: true })
    assert.deepEqual(await verify(await signed({ secret: rotated }), { secret: SECRET }), { ok: true })
    assert.deepEqual(await verify(await signed({ secret: rotated }), { secret: OLD_SECRET }), {
      ok: false,
      reason: 'bad_signature'
    })
  })

  it('rejects a secret that is not listed', async () => {
    assert.deepEqual(await verify(await signed({ secret: 'retired-long-ago' }), { secret: [SECRET, OLD_SECRET] }), {
      ok: false,
      reason: 'bad_signature'
    })
  })
})

describe('createNonceCache', () => {
  it('remembers a nonce until it expires', () => {
    let now = 1_000
    const seen = createNonceCache({ now: () => now })
    assert.equal(seen('a', 2_000), false)
    assert.equal(seen('a', 2_000), true)
    now = 1_999
    assert.equal(seen('a', 2_000), true)
    now = 2_000
    assert.equal(seen('a', 3_000), false)
    assert.equal(seen('a', 3_000), true)
  })

  it('refuses new nonces rather than forgetting live ones when full', () => {
    let now = 0
    const seen = createNonceCache({ maxEntries: 2, now: () => now })
    assert.equal(seen('a', 100), false)
    assert.equal(seen('b', 100), false)
    assert.equal(seen('c', 100), true)
    assert.equal(seen('a', 100), true)
    now = 100
    assert.equal(seen('c', 200), false)
  })

  it('makes room by purging expired nonces even when they expire out of order', () => {
    let now = 0
    const seen = createNonceCache({ maxEntries: 2, now: () => now })
    assert.equal(seen('long', 1_000), false)
    assert.equal(seen('short', 10), false)
    now = 10
    assert.equal(seen('next', 1_000), false)
    assert.equal(seen('long', 1_000), true)
  })
})
