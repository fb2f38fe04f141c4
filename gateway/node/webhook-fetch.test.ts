import { after, before, beforeEach, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createServer as createTlsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { TLSSocket } from 'node:tls'
import { createTlsAuthority } from '../../session-host/sim/tls-authority.ts'
import { createNodeWebhookFetch } from './webhook-fetch.ts'
import type { ResolvedAddress } from './webhook-fetch.ts'
import { deliverWebhook } from '../webhooks/deliver.ts'
import { generateWebhookSecret } from '../webhooks/standard-webhooks.ts'
import { parseAllowedHosts } from '../../shared/allowed-hosts.ts'

describe('webhook deliveries on Node', () => {
  const seen: { path: string; host: string | undefined; servername?: string | false | null }[] = []
  const answer = (req: IncomingMessage, res: ServerResponse) => {
    req.resume()
    req.on('end', () => {
      seen.push({ path: req.url ?? '', host: req.headers.host, ...('servername' in req.socket ? { servername: (req.socket as TLSSocket).servername } : {}) })
      res.statusCode = req.url === '/redirect' ? 307 : 204
      if (req.url === '/redirect') res.setHeader('location', '/ok')
      res.end()
    })
  }
  const server = createServer(answer)
  let tlsServer: ReturnType<typeof createTlsServer>
  let ca: string
  let port: number
  let tlsPort: number

  // The test's DNS: no real resolver is asked, so these names exist only here.
  const zone: Record<string, ResolvedAddress[]> = {
    'hooks.example.test': [{ address: '127.0.0.1', family: 4 }],
    'mixed.example.test': [
      { address: '93.184.216.34', family: 4 },
      { address: '127.0.0.1', family: 4 }
    ],
    'metadata.example.test': [{ address: '169.254.169.254', family: 4 }],
    'mapped.example.test': [{ address: '::ffff:127.0.0.1', family: 6 }],
    localhost: [{ address: '127.0.0.1', family: 4 }]
  }
  let lookups: string[] = []
  const resolve = async (hostname: string) => {
    lookups.push(hostname)
    return zone[hostname] ?? []
  }
  const fetches: ReturnType<typeof createNodeWebhookFetch>[] = []
  const webhookFetch = (allowedHosts: string[] = []) => {
    const allowed = parseAllowedHosts(allowedHosts.join(','))
    const made = Object.assign(createNodeWebhookFetch({ resolve, allowedHosts: allowed, ca }), { allowedHosts: allowed })
    fetches.push(made)
    return made
  }

  before(async () => {
    const authority = await createTlsAuthority()
    ca = authority.caPem
    tlsServer = createTlsServer({ cert: authority.certPem, key: authority.keyPem }, answer)
    await new Promise<void>(done => server.listen(0, '127.0.0.1', done))
    await new Promise<void>(done => tlsServer.listen(0, '127.0.0.1', done))
    port = (server.address() as AddressInfo).port
    tlsPort = (tlsServer.address() as AddressInfo).port
  })
  beforeEach(() => {
    seen.length = 0
    lookups = []
  })
  after(async () => {
    await Promise.all(fetches.map(made => made.close()))
    for (const s of [server, tlsServer]) {
      s.closeAllConnections()
      s.close()
    }
  })

  const secret = generateWebhookSecret()
  // The gateway passes WEBHOOK_ALLOWED_HOSTS to both the delivery and the fetch.
  const deliver = (url: string, fetch: ReturnType<typeof webhookFetch>) =>
    deliverWebhook(
      { eventId: 'evt_abcdefgh1234', type: 'message.received', timestamp: '2026-01-01T00:00:00.000Z', data: { sessionId: 'shop-1' }, url, secrets: [secret] },
      { fetch, allowedHosts: fetch.allowedHosts, timeoutMs: 5_000 }
    )

  it('refuses a host name that resolves to loopback: the delivery fails and the receiver sees nothing', async () => {
    assert.deepEqual(await deliver(`http://hooks.example.test:${port}/ok`, webhookFetch()), { delivered: false, error: 'address not allowed' })
    assert.deepEqual(seen, [])
  })

  it('refuses a name when any of its answers is private, and names of the metadata address or IPv4-mapped loopback', async () => {
    const fetch = webhookFetch()
    for (const name of ['mixed.example.test', 'metadata.example.test', 'mapped.example.test']) {
      assert.deepEqual(await deliver(`http://${name}:${port}/ok`, fetch), { delivered: false, error: 'address not allowed' }, name)
    }
    assert.deepEqual(seen, [])
  })

  it('refuses private address literals handed to the fetch itself', async () => {
    const fetch = webhookFetch()
    for (const url of [
      `http://127.0.0.1:${port}/ok`,
      `http://[::ffff:127.0.0.1]:${port}/ok`,
      `http://[::ffff:7f00:1]:${port}/ok`,
      'http://169.254.169.254/latest/meta-data'
    ]) {
      await assert.rejects(
        fetch(url, { method: 'POST', body: '{}' }),
        (error: Error) => (error.cause as { code?: string } | undefined)?.code === 'URL_NOT_ALLOWED',
        url
      )
    }
    assert.deepEqual(seen, [])
  })

  it('delivers to an allow-listed name at the address it checked, with the name as Host', async () => {
    const fetch = webhookFetch(['hooks.example.test'])
    assert.deepEqual(await deliver(`http://hooks.example.test:${port}/ok`, fetch), { delivered: true, status: 204 })
    assert.deepEqual(seen, [{ path: '/ok', host: `hooks.example.test:${port}` }])
    assert.deepEqual(lookups, ['hooks.example.test'])
  })

  it('does not follow a redirect, even when asked to', async () => {
    const fetch = webhookFetch(['hooks.example.test'])
    assert.deepEqual(await deliver(`http://hooks.example.test:${port}/redirect`, fetch), { delivered: false, status: 307, error: 'HTTP 307' })
    const followed = await fetch(`http://hooks.example.test:${port}/redirect`, { method: 'POST', body: '{}', redirect: 'follow' })
    await followed.body?.cancel()
    assert.equal(followed.status, 307)
    assert.deepEqual(
      seen.map(s => s.path),
      ['/redirect', '/redirect']
    )
  })

  it('keeps TLS on the host name: SNI names it and the certificate must match it, not the address', async () => {
    const fetch = webhookFetch(['localhost', 'hooks.example.test'])
    assert.deepEqual(await deliver(`https://localhost:${tlsPort}/ok`, fetch), { delivered: true, status: 204 })
    assert.deepEqual(seen, [{ path: '/ok', host: `localhost:${tlsPort}`, servername: 'localhost' }])
    // The certificate also covers 127.0.0.1, so only a check against the name refuses this one.
    assert.deepEqual(await deliver(`https://hooks.example.test:${tlsPort}/ok`, fetch), { delivered: false, error: 'connection failed' })
    assert.equal(seen.length, 1)
  })

  it('reports a name that does not resolve as a failed connection', async () => {
    assert.deepEqual(await deliver(`http://nowhere.example.test:${port}/ok`, webhookFetch()), { delivered: false, error: 'connection failed' })
  })
})
