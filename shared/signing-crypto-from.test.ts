import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import { signRequest, verifyRequest, webCryptoSigning } from './internal-signing.ts'
import { signingCryptoFrom } from './signing-crypto-from.ts'

const nodeSigningCrypto = signingCryptoFrom({ createHash, createHmac, timingSafeEqual })

const SECRET = 'current-secret-0123456789abcdef'
const request = { secret: SECRET, method: 'POST', pathWithQuery: '/internal/otp/otp_123456789/verify', body: '{"codeHash":"abc"}' }

describe('signing on node:crypto', () => {
  it('signs exactly as Web Crypto does', async () => {
    const fixed = { ...request, timestamp: 1_700_000_000_000, nonce: 'fixed-nonce-123456' }
    assert.deepEqual(await signRequest({ ...fixed, primitives: nodeSigningCrypto }), await signRequest(fixed))
  })

  it('accepts what Web Crypto signed, and Web Crypto accepts what it signed', async () => {
    const check = (headers: Record<string, string>, primitives = nodeSigningCrypto) =>
      verifyRequest({ ...request, headers, seenNonce: () => false, primitives })
    assert.deepEqual(await check(await signRequest({ ...request, primitives: webCryptoSigning })), { ok: true })
    assert.deepEqual(await check(await signRequest({ ...request, primitives: nodeSigningCrypto }), webCryptoSigning), { ok: true })
  })

  it('refuses a changed, truncated or foreign signature', async () => {
    const headers = await signRequest(request)
    const signature = headers['x-internal-signature']!
    const flipped = signature.slice(0, -2) + (signature.at(-2) === 'A' ? 'B' : 'A') + signature.at(-1)
    const variants = [flipped, signature.slice(0, -4), (await signRequest({ ...request, secret: 'another-secret-0123456789abcdef' }))['x-internal-signature']!]
    for (const variant of variants) {
      const result = await verifyRequest({
        ...request,
        headers: { ...headers, 'x-internal-signature': variant },
        seenNonce: () => false,
        primitives: nodeSigningCrypto
      })
      assert.deepEqual(result, { ok: false, reason: 'bad_signature' })
    }
  })

  it('refuses a changed body as a bad digest', async () => {
    const headers = await signRequest(request)
    const result = await verifyRequest({ ...request, body: '{"codeHash":"abd"}', headers, seenNonce: () => false, primitives: nodeSigningCrypto })
    assert.deepEqual(result, { ok: false, reason: 'bad_digest' })
  })
})
