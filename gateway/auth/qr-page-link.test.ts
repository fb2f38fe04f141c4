import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { deriveQrPageKey, signQrPageLink, verifyQrPageLink } from './qr-page-link.ts'

const NOW = 1_800_000_000_000
const secret = 'internal-secret-for-tests-0123456789'
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

describe('QR page links', () => {
  it('accepts a fresh link for its own session', async () => {
    const key = await deriveQrPageKey(secret)
    const link = await signQrPageLink(key, 'shop-1', NOW / 1000 + 600)
    assert.equal(await verifyQrPageLink(key, { ...link, expires: String(link.expires) }, NOW), true)
  })

  it('refuses an expired link, another session, a changed expiry and another key', async () => {
    const key = await deriveQrPageKey(secret)
    const link = await signQrPageLink(key, 'shop-1', NOW / 1000 + 600)
    const query = { ...link, expires: String(link.expires) }
    assert.equal(await verifyQrPageLink(key, query, NOW + 601_000), false)
    assert.equal(await verifyQrPageLink(key, { ...query, sessionId: 'shop-2' }, NOW), false)
    assert.equal(await verifyQrPageLink(key, { ...query, expires: String(link.expires + 3600) }, NOW), false)
    assert.equal(await verifyQrPageLink(await deriveQrPageKey(`${secret}x`), query, NOW), false)
  })

  it('refuses missing and malformed parameters without throwing', async () => {
    const key = await deriveQrPageKey(secret)
    const link = await signQrPageLink(key, 'shop-1', NOW / 1000 + 600)
    for (const bad of [
      { sessionId: 'shop-1', expires: undefined, signature: link.signature },
      { sessionId: 'shop-1', expires: String(link.expires), signature: undefined },
      { sessionId: 'shop-1', expires: '1e12', signature: link.signature },
      { sessionId: 'shop-1', expires: String(link.expires), signature: `${link.signature.slice(0, 42)}!` },
      { sessionId: 'shop-1', expires: String(link.expires), signature: link.signature.slice(1) },
      // Same bytes, other spelling: the last character's unused bits set.
      { sessionId: 'shop-1', expires: String(link.expires), signature: link.signature.slice(0, 42) + B64.charAt(B64.indexOf(link.signature.slice(42)) + 1) }
    ])
      assert.equal(await verifyQrPageLink(key, bad, NOW), false)
  })

  it('is not the HMAC of the internal secret itself (domain separated)', async () => {
    const raw = await crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
    const key = await deriveQrPageKey(secret)
    const link = await signQrPageLink(key, 'shop-1', 1)
    const plain = Buffer.from(await crypto.subtle.sign('HMAC', raw, new TextEncoder().encode('shop-1\n1'))).toString('base64url')
    assert.notEqual(link.signature, plain)
  })
})
