import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import type { z } from 'zod'
import { HEALTH_ROUTE } from '../shared/host-api/health.ts'
import type { HostRoute } from '../shared/host-api/host-route.ts'
import { MESSAGE_ROUTES } from '../shared/host-api/messages.ts'
import { OTP_ROUTES } from '../shared/host-api/otp.ts'
import { SESSION_ROUTES } from '../shared/host-api/sessions.ts'
import { WEBHOOK_ROUTES } from '../shared/host-api/webhooks.ts'
import { signRequest, signStreamRequest } from '../shared/internal-signing.ts'
import { parseHostConfig } from './config.ts'
import { createHost } from './create-host.ts'
import type { Host } from './create-host.ts'
import type { SessionManager } from './sessions/session-manager.ts'
import { WaSim } from './sim/index.ts'
import type { Envelope } from '../test/support/api-envelope.ts'

const SECRET = 'test-internal-secret-0123456789abcdef'

const read = async (response: Response): Promise<Envelope<Record<string, string>>> => (await response.json()) as Envelope<Record<string, string>>
const ALICE = '15550002222'

describe('the session host internal API', () => {
  const sim = new WaSim()
  const dir = mkdtempSync(join(tmpdir(), 'host-app-'))
  const logger = pino({ level: 'silent' })
  let host: Host
  let sessions: SessionManager
  let app: Host['app']

  const call = async (method: string, path: string, body?: unknown, secret = SECRET) => {
    const text = body === undefined ? undefined : JSON.stringify(body)
    const headers = await signRequest({ secret, method, pathWithQuery: path, body: text })
    return app.request(path, { method, headers: { ...headers, ...(text ? { 'content-type': 'application/json' } : {}) }, body: text })
  }

  before(async () => {
    const url = await sim.start()
    sim.addContact(ALICE)
    host = await createHost({
      config: parseHostConfig({ INTERNAL_SECRET: SECRET, DATA_DIR: dir, MEDIA_TMP_DIR: dir, LOG_LEVEL: 'silent', HOST_ID: 'host-a' }),
      logger,
      socketConfig: () => ({ waWebSocketUrl: url, connectTimeoutMs: 10_000, defaultQueryTimeoutMs: 10_000 }),
      reconnectBackoff: { baseMs: 50, maxMs: 200 }
    })
    await host.start()
    sessions = host.sessions
    app = host.app
  })
  after(async () => {
    await host.stop()
    await sim.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('answers the probes without a signature once its sessions are restored', async () => {
    assert.deepEqual(await (await app.request('/livez')).json(), { status: 'ok' })
    const ready = await app.request('/readyz')
    assert.equal(ready.status, 200)
    assert.deepEqual(await ready.json(), { status: 'ready' })
    assert.equal(host.fleet.ready, true)
  })

  it('refuses unsigned, wrongly signed and replayed requests', async () => {
    const unsigned = await app.request('/internal/sessions')
    assert.equal(unsigned.status, 401)
    assert.equal((await read(unsigned)).error.code, 'INTERNAL_AUTH_FAILED')
    assert.equal((await call('GET', '/internal/sessions', undefined, 'another-secret-0123456789abcdef')).status, 401)
    const headers = await signRequest({ secret: SECRET, method: 'GET', pathWithQuery: '/internal/sessions', body: undefined })
    assert.equal((await app.request('/internal/sessions', { headers })).status, 200)
    const replayed = await app.request('/internal/sessions', { headers })
    assert.equal(replayed.status, 401)
    assert.equal((await read(replayed)).error.details?.reason, 'replayed')
  })

  it('creates a session, serves its QR as text and PNG, links, and sends a text the recipient decrypts', async () => {
    const created = await call('POST', '/internal/sessions', { sessionId: 'shop-1' })
    assert.equal(created.status, 201)
    assert.equal((await call('POST', '/internal/sessions', { sessionId: 'shop-1' })).status, 409)
    let qr: { qr: string; qrImage: string } | undefined
    for (let i = 0; i < 200 && !qr; i++) {
      const response = await call('GET', '/internal/sessions/shop-1/qr')
      if (response.status === 200) qr = (await read(response)).data as { qr: string; qrImage: string }
      else await new Promise(resolve => setTimeout(resolve, 20))
    }
    assert.ok(qr)
    assert.match(qr.qrImage, /^data:image\/png;base64,/)
    await sim.linkWithQr(async () => (await sessions.linkState('shop-1')).qr ?? undefined, { accountPn: '15550080001' })
    for (let i = 0; i < 200 && (await sessions.view('shop-1')).status !== 'connected'; i++) await new Promise(resolve => setTimeout(resolve, 20))
    const status = await read(await call('GET', '/internal/sessions/shop-1'))
    const { lastSeen, ...rest } = status.data as { lastSeen: string }
    assert.ok(Math.abs(Date.parse(lastSeen) - Date.now()) < 60_000)
    assert.deepEqual(rest, {
      sessionId: 'shop-1',
      status: 'connected',
      isConnected: true,
      reason: null,
      serverError: null,
      phoneNumber: '15550080001',
      user: { id: '15550080001:1@s.whatsapp.net', name: null },
      deviceLabel: 'OTP Gateway',
      restriction: null,
      hostId: 'host-a'
    })
    assert.equal((await call('GET', '/internal/sessions/shop-1/qr')).status, 409)

    const sent = await call('POST', '/internal/sessions/shop-1/messages/text', { jid: `${ALICE}@s.whatsapp.net`, text: 'hello from the host' })
    assert.equal(sent.status, 200)
    const { messageId } = (await read(sent)).data
    const received = await sim.waitForSent(m => m.id === messageId)
    assert.equal(received.decrypted.find(c => c.jid.startsWith(ALICE))?.message.extendedTextMessage?.text, 'hello from the host')
  })

  it('answers bad input with a 4xx and a code, never a 5xx', async () => {
    const cases: [string, string, unknown, number, string][] = [
      ['POST', '/internal/sessions', { sessionId: '../etc' }, 400, 'VALIDATION_ERROR'],
      ['POST', '/internal/sessions', { sessionId: 42 }, 400, 'VALIDATION_ERROR'],
      ['GET', '/internal/sessions/nope', undefined, 404, 'SESSION_NOT_FOUND'],
      ['POST', '/internal/sessions/shop-1/messages/text', { jid: 'not-a-jid', text: 'x' }, 400, 'VALIDATION_ERROR']
    ]
    for (const [method, path, body, status, code] of cases) {
      const response = await call(method, path, body)
      assert.equal(response.status, status, `${method} ${path}`)
      assert.equal((await read(response)).error.code, code)
    }
    const text = '{"sessionId": '
    const headers = await signRequest({ secret: SECRET, method: 'POST', pathWithQuery: '/internal/sessions', body: text })
    const malformed = await app.request('/internal/sessions', { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: text })
    assert.equal(malformed.status, 400)
    assert.equal((await read(malformed)).error.code, 'INVALID_JSON')
  })

  it('serves every internal route the shared contracts name, at the path the gateway builds', async () => {
    const ids = { sessionId: 'nobody', otpId: 'otp_000000000000000000000000', messageId: '3EB0AAAAAAAAAAAA', eventId: 'evt_00000000', kind: 'image' }
    const routes = [
      ...Object.values(SESSION_ROUTES),
      ...Object.values(MESSAGE_ROUTES),
      ...Object.values(OTP_ROUTES),
      ...Object.values(WEBHOOK_ROUTES),
      HEALTH_ROUTE
    ] as unknown as HostRoute<'/:sessionId', undefined, z.ZodType>[]
    const params = { ...ids, digits: '15550002222', destination: '15550002222', query: { country: 'ID' } }
    for (const route of routes) {
      const path = route.path(params)
      const upload = path.includes('/upload?')
      const headers = upload
        ? await signStreamRequest({
            secret: SECRET,
            method: route.method,
            pathWithQuery: path,
            contentType: 'multipart/form-data; boundary=b',
            contentLength: 0
          })
        : await signRequest({
            secret: SECRET,
            method: route.method,
            pathWithQuery: path,
            body: route.method === 'GET' || route.method === 'DELETE' ? undefined : '{}'
          })
      const body = route.method === 'GET' || route.method === 'DELETE' ? undefined : upload ? '' : '{}'
      const response = await app.request(path, {
        method: route.method,
        headers: { ...headers, 'content-type': upload ? 'multipart/form-data; boundary=b' : 'application/json' },
        ...(body === undefined ? {} : { body })
      })
      const answer = (await response.json()) as { success: boolean; message: string; error?: { code: string } }
      // The router's own answer to a path no route takes; any other (a 404 for the unknown session included) means the route exists.
      assert.notEqual(answer.message, 'No such route', `${route.method} ${path}`)
      assert.notEqual(answer.error?.code, 'INTERNAL_AUTH_FAILED', `${route.method} ${path} was not signed as the host expects`)
    }
  })

  it('takes a cancel without a body, as a gateway from before the guarded cancel sends it', async () => {
    const answer = await read(await call('POST', '/internal/otp/otp_000000000000000000000000/cancel'))
    assert.equal(answer.error.code, 'OTP_NOT_FOUND')
  })

  it('logs out and deletes a session with its auth state', async () => {
    const deleted = await call('DELETE', '/internal/sessions/shop-1')
    assert.equal(deleted.status, 200)
    assert.equal((await call('GET', '/internal/sessions/shop-1')).status, 404)
    assert.equal(sim.directory.account('15550080001')?.devices.size, 0)
  })
})
