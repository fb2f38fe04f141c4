import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Webhook } from 'standardwebhooks'
import { deliverWebhook } from './deliver.ts'
import { generateWebhookSecret } from './standard-webhooks.ts'
import { parseAllowedHosts } from '../../shared/allowed-hosts.ts'

describe('webhook delivery', () => {
  const secret = generateWebhookSecret()
  const seen: { path: string; verified: unknown }[] = []
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', chunk => (body += chunk))
    req.on('end', () => {
      let verified: unknown
      try {
        verified = new Webhook(secret).verify(body, req.headers as Record<string, string>)
      } catch {
        verified = undefined
      }
      seen.push({ path: req.url ?? '', verified })
      if (req.url === '/slow') return setTimeout(() => res.end(), 2_000).unref()
      res.statusCode = req.url === '/ok' ? 204 : req.url === '/redirect' ? 307 : 500
      if (req.url === '/redirect') res.setHeader('location', '/ok')
      res.end()
    })
  })
  let base: string
  before(async () => {
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  after(() => {
    server.closeAllConnections()
    server.close()
  })

  const request = (path: string) => ({
    eventId: 'evt_abcdefgh1234',
    type: 'message.received' as const,
    timestamp: '2026-01-01T00:00:00.000Z',
    data: { sessionId: 'shop-1', text: 'hi' },
    url: `${base}${path}`,
    secrets: [secret]
  })

  // The receiver listens on loopback, which WEBHOOK_ALLOWED_HOSTS allows in tests.
  const loopback = { allowedHosts: parseAllowedHosts('127.0.0.1') }

  it('posts the signed { type, timestamp, data } body and counts a 2xx as delivered', async () => {
    assert.deepEqual(await deliverWebhook(request('/ok'), loopback), { delivered: true, status: 204 })
    assert.deepEqual(seen.at(-1)?.verified, { type: 'message.received', timestamp: '2026-01-01T00:00:00.000Z', data: { sessionId: 'shop-1', text: 'hi' } })
  })

  it('counts an error status as a failure', async () => {
    assert.deepEqual(await deliverWebhook(request('/fail'), loopback), { delivered: false, status: 500, error: 'HTTP 500' })
  })

  it('does not follow redirects', async () => {
    const before = seen.length
    assert.deepEqual(await deliverWebhook(request('/redirect'), loopback), { delivered: false, status: 307, error: 'HTTP 307' })
    assert.deepEqual(
      seen.slice(before).map(s => s.path),
      ['/redirect']
    )
  })

  it('gives up on a receiver that does not answer in time', async () => {
    assert.deepEqual(await deliverWebhook(request('/slow'), { ...loopback, timeoutMs: 100 }), { delivered: false, error: 'timeout' })
  })

  it('reports a refused connection', async () => {
    const closed = createServer()
    await new Promise<void>(resolve => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as AddressInfo).port
    await new Promise(resolve => closed.close(resolve))
    assert.deepEqual(await deliverWebhook({ ...request('/'), url: `http://127.0.0.1:${port}/` }, loopback), { delivered: false, error: 'connection failed' })
  })

  it('refuses a private address literal at delivery too, for URLs that were never checked', async () => {
    const before = seen.length
    assert.deepEqual(await deliverWebhook(request('/ok')), { delivered: false, error: 'address not allowed' })
    assert.deepEqual(await deliverWebhook({ ...request('/'), url: 'http://[::ffff:a9fe:a9fe]/latest/meta-data' }, loopback), {
      delivered: false,
      error: 'address not allowed'
    })
    assert.equal(seen.length, before)
  })
})
