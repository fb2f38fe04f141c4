import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createHostClient } from '../../gateway/host/host-client.ts'
import { AppError, errorEnvelope, ok } from '../../shared/errors.ts'
import { answer, createFakeHost } from './fake-host.ts'
import { z } from 'zod'
import { hostRoute } from '../../shared/host-api/host-route.ts'
import type { HostMethod } from '../../shared/host-api/host-route.ts'

const SECRET = 'fake-host-secret-0123456789abcdefghij'

const setUp = (clientSecret = SECRET) => {
  const host = createFakeHost({ secret: SECRET })
  return { host, client: createHostClient({ hosts: ['http://host.internal'], secret: clientSecret, fetch: host.fetch }) }
}

const appErrorWith =
  (code: string, status: number, check: (error: AppError) => void = () => {}) =>
  (error: unknown) => {
    assert.ok(error instanceof AppError)
    assert.equal(error.code, code)
    assert.equal(error.status, status)
    check(error)
    return true
  }

/** A contract for any path, so these tests can call what no real route is. */
const raw = (method: HostMethod, path: string) => ({ ...hostRoute({ method, pattern: '/any', body: undefined, answer: z.unknown() }), path: () => path })

describe('the fake session host for gateway tests', () => {
  it('answers the routes a test declares, and records each call with its parsed body', async () => {
    const { host, client } = setUp()
    host.on('POST /internal/sessions/:id/otp', ({ id }, body) => answer(ok('OTP sent', { sessionId: id, echoed: body }), { status: 201 }))
    const data = await client.call(raw('POST', '/internal/sessions/shop-1/otp'), {}, { text: 'hello' })
    assert.deepEqual(data, { sessionId: 'shop-1', echoed: { text: 'hello' } })
    assert.deepEqual(
      host.calls.map(c => [c.method, c.path, c.body]),
      [['POST', '/internal/sessions/shop-1/otp', { text: 'hello' }]]
    )
    // A later declaration replaces the earlier one.
    host.on('POST /internal/sessions/:id/otp', () => ok('OTP sent', 'second'))
    assert.equal(await client.call(raw('POST', '/internal/sessions/shop-1/otp'), {}, {}), 'second')
  })

  it('refuses a request signed with another secret, as the host does, so the gateway answers 502', async () => {
    const { host, client } = setUp('another-secret-0123456789abcdefghijkl')
    host.on('GET /internal/health', () => ok('Host health', {}))
    await assert.rejects(client.call(raw('GET', '/internal/health'), {}), appErrorWith('HOST_UNAVAILABLE', 502))
    assert.deepEqual(host.refused, [{ method: 'GET', path: '/internal/health', reason: 'bad_signature' }])
    assert.deepEqual(host.calls, [])
    // In a gateway test this is the gateway's fault, never an answer to assert on: the builder throws it.
    assert.deepEqual(
      host.takeFailures().map(e => e.message),
      ['the fake host refused the signature of GET /internal/health: bad_signature']
    )
  })

  it('verifies a streamed upload by its signed length, and hands over its bytes and query', async () => {
    const { host, client } = setUp()
    host.on('POST /internal/sessions/:id/messages/:kind/upload', ({ kind }) => ok('Message accepted', { kind }))
    const bytes = new TextEncoder().encode('--b\r\n\r\nfile\r\n--b--\r\n')
    const stream = new Blob([bytes]).stream()
    const data = await client.stream(
      raw('POST', '/internal/sessions/shop-1/messages/image/upload?country=ID'),
      {},
      { stream, contentType: 'multipart/form-data; boundary=b', contentLength: bytes.byteLength }
    )
    assert.deepEqual(data, { kind: 'image' })
    const [call] = host.calls
    assert.deepEqual(call?.query, { country: 'ID' })
    assert.deepEqual(call?.bytes, bytes)
    assert.equal(call?.body, undefined)
  })

  it("answers error envelopes with their code's status and the headers given", async () => {
    const { host, client } = setUp()
    host.on('POST /internal/sessions/:id/otp', () => answer(errorEnvelope('RATE_LIMITED', 'Too many codes'), { headers: { 'Retry-After': '30' } }))
    await assert.rejects(
      client.call(raw('POST', '/internal/sessions/shop-1/otp'), {}, {}),
      appErrorWith('RATE_LIMITED', 429, error => assert.deepEqual(error.headers, { 'Retry-After': '30' }))
    )
  })

  it('fails like a refused connection while unreachable', async () => {
    const { host, client } = setUp()
    host.on('GET /internal/health', () => ok('Host health', {}))
    host.setReachable(false)
    await assert.rejects(client.call(raw('GET', '/internal/health'), {}), appErrorWith('HOST_UNAVAILABLE', 502))
    host.setReachable(true)
    assert.deepEqual(await client.call(raw('GET', '/internal/health'), {}), {})
  })

  it("keeps a request no route answers, or a route that threw, as the test's own mistake", async () => {
    const { host, client } = setUp()
    host.on('GET /internal/sessions/:id', () => {
      throw new Error('boom')
    })
    await assert.rejects(client.call(raw('GET', '/internal/nothing'), {}), appErrorWith('HOST_UNAVAILABLE', 502))
    await assert.rejects(client.call(raw('GET', '/internal/sessions/x'), {}), appErrorWith('HOST_UNAVAILABLE', 502))
    assert.deepEqual(
      host.takeFailures().map(e => e.message),
      ['the fake host has no route for GET /internal/nothing', 'boom']
    )
  })
})
