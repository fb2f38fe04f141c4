import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import { serve } from '@hono/node-server'
import { SignJWT } from 'jose'
import { request } from 'undici'
import { errorEnvelope, ok } from '../shared/errors.ts'
import { mintToken } from './auth/mint-token.ts'
import { answer } from '../test/support/fake-host.ts'
import { gatewayOnFakeHost, JWT_SECRET } from '../test/support/gateway-on-fake-host.ts'
import { sentMessage, sessionView } from '../test/support/host-answers.ts'

const ALICE_LOCAL = '081234567890'
const ALICE_PN = '6281234567890'

/** A gateway whose host knows shop-1 (linked) and nothing else, and accepts its texts. */
const withShop = (options: { maxBodyBytes?: number } = {}) => {
  const stack = gatewayOnFakeHost(options)
  const known = (id: string) => id === 'shop-1'
  const missing = (id: string) => errorEnvelope('SESSION_NOT_FOUND', `Session ${id} does not exist`)
  stack.host.on('GET /internal/sessions', () => ok('Sessions', [sessionView('shop-1', { phoneNumber: '15550090001' })]))
  stack.host.on('GET /internal/sessions/:id', ({ id = '' }) =>
    known(id) ? ok('Session status', sessionView(id, { phoneNumber: '15550090001' })) : missing(id)
  )
  stack.host.on('GET /internal/sessions/:id/qr', ({ id = '' }) =>
    known(id) ? errorEnvelope('SESSION_ALREADY_CONNECTED', `Session ${id} is already connected`) : missing(id)
  )
  stack.host.on('POST /internal/sessions/:id/messages/text', ({ id = '' }, body) =>
    known(id) ? ok('Message accepted', sentMessage(id, (body as { jid: string }).jid, 'text')) : missing(id)
  )
  stack.host.on('GET /internal/health', () => ok('Host health', { database: 'ok', sessions: { connected: 1 } }))
  return stack
}

describe('the gateway in front of the session host', () => {
  const { call, token, host, request: gatewayRequest, gateway } = withShop()

  it("sends a text to a local number as its E.164 JID, and passes the host's refusal of a QR for a linked session through", async () => {
    const qr = await call('GET', '/api/sessions/shop-1/qr', { token: await token('sessions:read') })
    assert.equal(qr.status, 409)
    assert.equal(qr.body.error.code, 'SESSION_ALREADY_CONNECTED')
    const sent = await call('POST', '/api/messages/shop-1/text', { token: await token('messages:send'), body: { to: ALICE_LOCAL, text: 'Halo dari gateway' } })
    assert.equal(sent.status, 200)
    const data = sent.body.data as { messageId: string; to: string }
    assert.equal(data.to, `+${ALICE_PN}`)
    assert.deepEqual(host.callsTo('POST', '/internal/sessions/shop-1/messages/text').at(-1)?.body, {
      jid: `${ALICE_PN}@s.whatsapp.net`,
      text: 'Halo dari gateway'
    })
  })

  it('refuses bad tokens with 401 and missing rights with 403, and lists only allowed sessions', async () => {
    const none = await call('GET', '/api/sessions')
    assert.equal(none.status, 401)
    assert.equal(none.body.error.code, 'UNAUTHORIZED')
    assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/)
    const forged = await mintToken({ secret: 'another-secret-0123456789abcdef-xyz', scopes: ['admin'], ttlSeconds: 600, audience: 'otp-gateway' })
    assert.equal((await call('GET', '/api/sessions', { token: forged })).status, 401)
    const unsigned = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify({ scope: 'admin', aud: 'otp-gateway', exp: Math.floor(Date.now() / 1000) + 600 })).toString('base64url')}.`
    assert.equal((await call('GET', '/api/sessions', { token: unsigned })).status, 401)
    const expired = await new SignJWT({ scope: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setAudience('otp-gateway')
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(new TextEncoder().encode(JWT_SECRET))
    const expiredResponse = await call('GET', '/api/sessions', { token: expired })
    assert.equal(expiredResponse.status, 401)
    assert.equal(expiredResponse.body.error.code, 'TOKEN_EXPIRED')
    assert.equal((await call('GET', '/api/sessions', { token: await token('admin', { audience: 'someone-else' }) })).status, 401)
    const noScope = await call('GET', '/api/sessions', { token: await token('otp:send') })
    assert.equal(noScope.status, 403)
    assert.equal(noScope.body.error.code, 'INSUFFICIENT_SCOPE')
    const limited = await token('admin', { sessions: ['shop-2'] })
    const outside = await call('GET', '/api/sessions/shop-1/status', { token: limited })
    assert.equal(outside.status, 403)
    assert.equal(outside.body.error.code, 'SESSION_FORBIDDEN')
    // Refused before the host is asked anything.
    assert.deepEqual(host.callsTo('GET', '/internal/sessions/shop-1'), [])
    const listed = await call('GET', '/api/sessions', { token: limited })
    assert.equal(listed.status, 200)
    assert.deepEqual(listed.body.data, { sessions: [], total: 0 })
    const full = await call('GET', '/api/sessions', { token: await token('sessions:read') })
    assert.deepEqual(
      (full.body.data as { sessions: { sessionId: string }[] }).sessions.map(s => s.sessionId),
      ['shop-1']
    )
  })

  it('answers bad input with a 4xx and a code, never a 5xx', async () => {
    const admin = await token('admin')
    const cases: [string, string, { body?: unknown; raw?: string }, number, string][] = [
      ['POST', '/api/sessions/create', { body: { sessionId: '../etc/passwd' } }, 400, 'VALIDATION_ERROR'],
      ['POST', '/api/sessions/create', { body: { sessionId: 42 } }, 400, 'VALIDATION_ERROR'],
      ['GET', '/api/sessions/..%2Fetc/status', {}, 400, 'VALIDATION_ERROR'],
      ['POST', '/api/messages/shop-1/text', { body: { to: 'not a number', text: 'x' } }, 422, 'INVALID_PHONE_NUMBER'],
      ['POST', '/api/messages/shop-1/text', { raw: '{"to": "0812' }, 400, 'INVALID_JSON'],
      ['POST', '/api/messages/shop-1/text', { body: { to: ALICE_LOCAL, text: 'x'.repeat(5000) } }, 413, 'PAYLOAD_TOO_LARGE'],
      ['POST', '/api/messages/nope/text', { body: { to: ALICE_LOCAL, text: 'x' } }, 404, 'SESSION_NOT_FOUND'],
      ['GET', '/api/nothing-here', {}, 404, 'NOT_FOUND']
    ]
    for (const [method, path, options, status, code] of cases) {
      const response = await call(method, path, { token: admin, ...options })
      assert.equal(response.status, status, `${method} ${path}`)
      assert.equal(response.body.error.code, code, `${method} ${path}`)
      // Every refusal can be quoted to support by its request id, an unknown route's too.
      assert.match(String(response.body.error.requestId), /^[0-9a-f-]{36}$/, `${method} ${path}`)
    }
    const validation = await call('POST', '/api/sessions/create', { token: admin, body: { sessionId: 42 } })
    assert.ok(JSON.stringify(validation.body.error.details).includes('sessionId'))
    // A number that is no phone number is refused naming the field it came in.
    const badNumber = await call('POST', '/api/messages/shop-1/text', { token: admin, body: { to: 'abc', text: 'x' } })
    assert.deepEqual(badNumber.body.error.details, { input: 'abc', field: 'to' })
    const badPairing = await call('POST', '/api/sessions/shop-1/pairing-code', { token: admin, body: { phoneNumber: 'abcdefgh' } })
    assert.deepEqual([badPairing.status, badPairing.body.error.code, badPairing.body.error.details?.field], [422, 'INVALID_PHONE_NUMBER', 'phoneNumber'])
  })

  it('refuses an oversized body over a real socket, whether its length is declared or chunked', async () => {
    const server = serve({ fetch: gateway.fetch, port: 0, hostname: '127.0.0.1' })
    await new Promise(resolve => server.once('listening', resolve))
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/messages/shop-1/text`
      const headers = { authorization: `Bearer ${await token('messages:send')}`, 'content-type': 'application/json' }
      const body = (text: string) => JSON.stringify({ to: ALICE_LOCAL, text })
      const send = async (payload: string | Readable) => {
        const response = await request(url, { method: 'POST', headers, body: payload })
        return { status: response.statusCode, body: (await response.body.json()) as { error?: { code: string } } }
      }
      const chunked = (text: string) => Readable.from([Buffer.from(body(text))])
      const declared = await send(body('x'.repeat(5000)))
      assert.equal(declared.status, 413)
      assert.equal(declared.body.error?.code, 'PAYLOAD_TOO_LARGE')
      const streamed = await send(chunked('x'.repeat(5000)))
      assert.equal(streamed.status, 413)
      assert.equal(streamed.body.error?.code, 'PAYLOAD_TOO_LARGE')
      assert.equal((await send(body('within the limit'))).status, 200)
      assert.equal((await send(chunked('within the limit, chunked'))).status, 200)
    } finally {
      await new Promise(resolve => server.close(resolve))
    }
  })

  it('serves its OpenAPI 3.1 document, the interactive reference and health without a token', async () => {
    const doc = (await (await gatewayRequest('/api/openapi.json')).json()) as {
      openapi: string
      paths: Record<string, unknown>
      components: { schemas: Record<string, unknown> }
    }
    assert.equal(doc.openapi, '3.1.0')
    for (const path of ['/api/sessions/create', '/api/sessions/{sessionId}/qr', '/api/messages/{sessionId}/text', '/api/health'])
      assert.ok(doc.paths[path], path)
    assert.ok(doc.components.schemas.Error)
    const docs = await gatewayRequest('/api/docs')
    assert.equal(docs.status, 200)
    assert.match(await docs.text(), /openapi\.json/)
    const health = (await (await gatewayRequest('/api/health')).json()) as { data: { host: string; sessions: Record<string, number> } }
    assert.equal(health.data.host, 'ok')
    assert.equal(health.data.sessions.connected, 1)
  })

  it('documents link_failed with its reasons, deviceLabel, the refreshed QR and PAIRING_CODE_REFUSED as a 422', async () => {
    type Schema = { properties: Record<string, { enum?: string[]; anyOf?: { enum?: string[] }[]; type?: string | string[] }> }
    type Operation = {
      requestBody?: { content: { 'application/json': { schema: Schema } } }
      responses: Record<string, { description: string; content?: { 'application/json': { schema: { properties: { data: Schema } } } } }>
    }
    const doc = (await (await gatewayRequest('/api/openapi.json')).json()) as {
      paths: Record<string, Record<string, Operation>>
      components: { schemas: Record<string, Schema & { properties: { error: { properties: { code: { enum: string[] } } } } }> }
    }
    const session = doc.components.schemas.Session!
    assert.ok(session.properties.status?.enum?.includes('link_failed'))
    const reasons = session.properties.reason?.enum ?? session.properties.reason?.anyOf?.flatMap(s => s.enum ?? [])
    assert.deepEqual(
      reasons?.filter(r => r !== null),
      ['refs_exhausted', 'pairing_code_expired', 'pairing_refused', 'passkey_required']
    )
    assert.ok(session.properties.serverError)
    assert.ok(session.properties.deviceLabel)
    assert.ok(doc.paths['/api/sessions/create']!.post!.requestBody!.content['application/json'].schema.properties.deviceLabel)
    assert.ok(doc.paths['/api/sessions/{sessionId}/qr']!.get!.responses['200']!.content!['application/json'].schema.properties.data.properties.refreshed)
    assert.match(doc.paths['/api/sessions/{sessionId}/pairing-code']!.post!.responses['422']!.description, /PAIRING_CODE_REFUSED/)
    assert.ok(doc.components.schemas.Error!.properties.error.properties.code.enum.includes('PAIRING_CODE_REFUSED'))
  })
})

describe('the gateway when the session host fails', () => {
  const { call, token, host, request: gatewayRequest } = withShop()

  it('answers 502 HOST_UNAVAILABLE while the host is unreachable, and health says so with a 503', async () => {
    host.setReachable(false)
    try {
      const sent = await call('POST', '/api/messages/shop-1/text', { token: await token('messages:send'), body: { to: ALICE_LOCAL, text: 'hello' } })
      assert.equal(sent.status, 502)
      assert.equal(sent.body.error.code, 'HOST_UNAVAILABLE')
      const health = await gatewayRequest('/api/health')
      assert.equal(health.status, 503)
      const body = (await health.json()) as { success: boolean; status: string; data: { host: string }; error?: { code: string } }
      assert.deepEqual([body.success, body.status, body.data.host, body.error?.code], [false, 'ERROR', 'unreachable', 'HOST_UNAVAILABLE'])
    } finally {
      host.setReachable(true)
    }
  })

  it('says in health, with a 503 and DATABASE_UNAVAILABLE, that the host answers but its database takes no writes', async () => {
    host.on('GET /internal/health', () => ok('Host health', { database: 'unwritable', sessions: { connected: 1 } }))
    try {
      const health = await gatewayRequest('/api/health')
      assert.equal(health.status, 503)
      const body = (await health.json()) as { success: boolean; status: string; data: { host: string; database: string }; error?: { code: string } }
      assert.deepEqual(
        [body.success, body.status, body.data.host, body.data.database, body.error?.code],
        [false, 'ERROR', 'ok', 'unwritable', 'DATABASE_UNAVAILABLE']
      )
    } finally {
      host.on('GET /internal/health', () => ok('Host health', { database: 'ok', sessions: { connected: 1 } }))
    }
  })

  it("answers 502 HOST_UNAVAILABLE, without the host's words, when the host fails or refuses the gateway's signature", async () => {
    host.on('GET /internal/sessions/:id', () => errorEnvelope('INTERNAL_ERROR', 'SQLITE_BUSY: database is locked at /data/host.db'))
    const failed = await call('GET', '/api/sessions/shop-1/status', { token: await token('sessions:read') })
    assert.equal(failed.status, 502)
    assert.equal(failed.body.error.code, 'HOST_UNAVAILABLE')
    assert.doesNotMatch(JSON.stringify(failed.body), /SQLITE|host\.db/)
    host.on('GET /internal/sessions/:id', () =>
      answer(errorEnvelope('INTERNAL_AUTH_FAILED', 'Internal request signature refused', { reason: 'bad_signature' }), { status: 401 })
    )
    const refused = await call('GET', '/api/sessions/shop-1/status', { token: await token('sessions:read') })
    assert.equal(refused.status, 502)
    assert.equal(refused.body.error.code, 'HOST_UNAVAILABLE')
  })

  it("passes the host's own refusals through with their status, code and details, 503 SESSION_NOT_CONNECTED included", async () => {
    host.on('POST /internal/sessions/:id/messages/text', () =>
      errorEnvelope('SESSION_NOT_CONNECTED', 'Session shop-1 is not connected', { status: 'logged_out' })
    )
    const away = await call('POST', '/api/messages/shop-1/text', { token: await token('messages:send'), body: { to: ALICE_LOCAL, text: 'hello' } })
    assert.equal(away.status, 503)
    assert.equal(away.body.error.code, 'SESSION_NOT_CONNECTED')
    assert.deepEqual(away.body.error.details, { status: 'logged_out' })
    assert.equal(away.body.message, 'Session shop-1 is not connected')
  })
})
