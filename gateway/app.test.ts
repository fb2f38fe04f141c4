import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SignJWT } from 'jose'
import pino from 'pino'
import { createHostApp } from '../session-host/app.ts'
import { openDatabase } from '../session-host/db/connection.ts'
import { SessionManager } from '../session-host/sessions/session-manager.ts'
import { WaSim } from '../session-host/sim/index.ts'
import { createGateway } from './app.ts'
import { createJwtVerifier } from './auth/jwt-verifier.ts'
import { mintToken } from './auth/mint-token.ts'
import { parseGatewayConfig } from './config.ts'
import { createHostClient } from './host-client.ts'

const JWT_SECRET = 'jwt-secret-for-tests-0123456789abcdef'
const INTERNAL_SECRET = 'internal-secret-for-tests-0123456789'
const ALICE_LOCAL = '081234567890'
const ALICE_PN = '6281234567890'

type Envelope = { success: boolean; data: Record<string, unknown> & { sessionId?: string }[]; error: { code: string; details?: Record<string, unknown> } }

describe('the gateway in front of the session host', () => {
  const sim = new WaSim()
  const dir = mkdtempSync(join(tmpdir(), 'gateway-app-'))
  const database = openDatabase(join(dir, 'host.db'))
  const logger = pino({ level: 'silent' })
  const config = parseGatewayConfig({
    HOST_URL: 'http://host.internal',
    INTERNAL_SECRET,
    JWT_SECRET,
    JWT_AUDIENCE: 'otp-gateway',
    OTP_PEPPER: 'pepper-for-tests-0123456789abcdef',
    MAX_BODY_BYTES: '4096'
  })
  let sessions: SessionManager
  let gateway: ReturnType<typeof createGateway>

  const token = (scopes: string, extra: { sessions?: string[]; ttlSeconds?: number; audience?: string } = {}) =>
    mintToken({ secret: JWT_SECRET, scopes: scopes.split(' ') as never, ttlSeconds: extra.ttlSeconds ?? 600, audience: extra.audience ?? 'otp-gateway', ...(extra.sessions ? { sessions: extra.sessions } : {}) })

  const call = async (method: string, path: string, options: { token?: string; body?: unknown; raw?: string } = {}) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' }
    if (options.token) headers.authorization = `Bearer ${options.token}`
    const body = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body))
    const response = await gateway.request(path, { method, headers, ...(body === undefined ? {} : { body }) })
    return { status: response.status, headers: response.headers, body: (await response.json().catch(() => undefined)) as Envelope }
  }

  before(async () => {
    const url = await sim.start()
    sim.addContact(ALICE_PN)
    sessions = new SessionManager({
      db: database.db,
      logger,
      socketConfig: () => ({ waWebSocketUrl: url, connectTimeoutMs: 10_000, defaultQueryTimeoutMs: 10_000 }),
      backoff: { baseMs: 50, maxMs: 200 }
    })
    const hostApp = createHostApp({ db: database.db, sessions, internalSecret: INTERNAL_SECRET, logger })
    const host = createHostClient({ baseUrl: config.HOST_URL, secret: INTERNAL_SECRET, fetch: (input, init) => Promise.resolve(hostApp.request(String(input), init)) })
    gateway = createGateway({ config, host, verifier: createJwtVerifier({ secret: JWT_SECRET, audience: 'otp-gateway' }) })
  })
  after(async () => {
    await sessions.stopAll()
    await sim.stop()
    database.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('creates and links a session, and sends a text to a local number that the recipient decrypts', async () => {
    const admin = await token('admin')
    assert.equal((await call('POST', '/api/sessions/create', { token: admin, body: { sessionId: 'shop-1' } })).status, 201)
    let qr: string | undefined
    for (let i = 0; i < 200 && !qr; i++) {
      const response = await call('GET', '/api/sessions/shop-1/qr', { token: admin })
      if (response.status === 200) qr = (response.body.data as unknown as { qr: string }).qr
      else await new Promise(resolve => setTimeout(resolve, 20))
    }
    assert.ok(qr)
    await sim.scanQr(qr, { accountPn: '15550090001' })
    for (let i = 0; i < 200 && sessions.view('shop-1').status !== 'connected'; i++) await new Promise(resolve => setTimeout(resolve, 20))
    const sent = await call('POST', '/api/messages/shop-1/text', { token: await token('messages:send'), body: { to: ALICE_LOCAL, text: 'Halo dari gateway' } })
    assert.equal(sent.status, 200)
    const data = sent.body.data as unknown as { messageId: string; to: string }
    assert.equal(data.to, `+${ALICE_PN}`)
    const received = await sim.waitForSent(m => m.id === data.messageId)
    assert.equal(received.decrypted.find(c => c.jid.startsWith(ALICE_PN))?.message.extendedTextMessage?.text, 'Halo dari gateway')
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
    const listed = await call('GET', '/api/sessions', { token: limited })
    assert.equal(listed.status, 200)
    assert.deepEqual(listed.body.data, [])
    const full = await call('GET', '/api/sessions', { token: await token('sessions:read') })
    assert.deepEqual((full.body.data as { sessionId?: string }[]).map(s => s.sessionId), ['shop-1'])
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
    }
    const validation = await call('POST', '/api/sessions/create', { token: admin, body: { sessionId: 42 } })
    assert.ok(JSON.stringify(validation.body.error.details).includes('sessionId'))
  })

  it('serves its OpenAPI 3.1 document and the interactive reference without a token', async () => {
    const doc = (await (await gateway.request('/api/openapi.json')).json()) as { openapi: string; paths: Record<string, unknown>; components: { schemas: Record<string, unknown> } }
    assert.equal(doc.openapi, '3.1.0')
    for (const path of ['/api/sessions/create', '/api/sessions/{sessionId}/qr', '/api/messages/{sessionId}/text', '/api/health']) assert.ok(doc.paths[path], path)
    assert.ok(doc.components.schemas.Error)
    const docs = await gateway.request('/api/docs')
    assert.equal(docs.status, 200)
    assert.match(await docs.text(), /openapi\.json/)
    const health = (await (await gateway.request('/api/health')).json()) as { data: { host: string; sessions: Record<string, number> } }
    assert.equal(health.data.host, 'ok')
    assert.equal(health.data.sessions.connected, 1)
  })
})
