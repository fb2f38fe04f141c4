import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { signRequest, signStreamRequest, STREAM_LENGTH_HEADER, UNSIGNED_STREAM, verifyRequest, verifyStreamRequest } from './internal-signing.ts'

const SECRET = 'current-secret-0123456789abcdef'
const NOW = 1_700_000_000_000
const PATH = '/internal/sessions/shop-1/messages/image/upload?country=ID'
const TYPE = 'multipart/form-data; boundary=----x'

const sign = (overrides: Partial<Parameters<typeof signStreamRequest>[0]> = {}) =>
  signStreamRequest({ secret: SECRET, method: 'POST', pathWithQuery: PATH, contentType: TYPE, contentLength: 1234, timestamp: NOW, ...overrides })
const verify = (headers: Record<string, string>, overrides: Partial<Parameters<typeof verifyStreamRequest>[0]> = {}) =>
  verifyStreamRequest({ secret: SECRET, method: 'POST', pathWithQuery: PATH, contentType: TYPE, headers, now: NOW, seenNonce: () => false, ...overrides })

describe('signatures of streamed uploads', () => {
  it('carries the unsigned-stream marker and the signed length, and verifies', async () => {
    const headers = await sign()
    assert.equal(headers['x-internal-content-sha256'], UNSIGNED_STREAM)
    assert.deepEqual(await verify(headers), { ok: true, contentLength: 1234 })
  })

  it('binds the path, content type and length', async () => {
    const headers = await sign()
    assert.deepEqual(await verify(headers, { pathWithQuery: '/internal/sessions/shop-2/messages/image/upload?country=ID' }), {
      ok: false,
      reason: 'bad_signature'
    })
    assert.deepEqual(await verify(headers, { contentType: 'multipart/form-data; boundary=----y' }), { ok: false, reason: 'bad_signature' })
    assert.deepEqual(await verify({ ...headers, [STREAM_LENGTH_HEADER]: '99999' }), { ok: false, reason: 'bad_signature' })
  })

  it('refuses replays, stale timestamps and other secrets', async () => {
    const headers = await sign()
    assert.deepEqual(await verify(headers, { seenNonce: () => true }), { ok: false, reason: 'replayed' })
    assert.deepEqual(await verify(headers, { now: NOW + 60_000 }), { ok: false, reason: 'stale' })
    assert.deepEqual(await verify(headers, { secret: 'another-secret-0123456789abcdef' }), { ok: false, reason: 'bad_signature' })
  })

  it('cannot be passed off as a digest-signed request, nor the other way round', async () => {
    const stream = await sign()
    assert.equal(
      (await verifyRequest({ secret: SECRET, method: 'POST', pathWithQuery: PATH, body: '', headers: stream, now: NOW, seenNonce: () => false })).ok,
      false
    )
    const digest = await signRequest({ secret: SECRET, method: 'POST', pathWithQuery: PATH, body: '', timestamp: NOW })
    assert.deepEqual(await verify(digest), { ok: false, reason: 'missing' })
  })
})
