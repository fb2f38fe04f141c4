import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { AppError } from '../../shared/errors.ts'
import { HEALTH_ROUTE } from '../../shared/host-api/health.ts'
import { SESSION_ROUTES } from '../../shared/host-api/sessions.ts'
import { createHostClient } from './host-client.ts'

const SECRET = 'fleet-routing-secret-0123456789abcdef'
const A = 'http://host-a.internal:3001'
const B = 'http://host-b.internal:3001'
const C = 'http://host-c.internal:3001'

type Answer = { status: number; body: unknown } | 'refused'

/**
 * Hosts as the client sees them: each origin answers with what `answer` says for a path, or
 * refuses the connection the way Node's fetch reports it. Every request is recorded.
 */
const fleet = (answer: (origin: string, path: string) => Answer) => {
  const requests: string[] = []
  const fetch = (async (input: URL | string | Request) => {
    const url = new URL(String(input))
    requests.push(`${url.origin} ${url.pathname}`)
    const reply = answer(url.origin, url.pathname)
    if (reply === 'refused') throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } })
    return new Response(JSON.stringify(reply.body), { status: reply.status, headers: { 'content-type': 'application/json' } })
  }) as typeof globalThis.fetch
  return { requests, fetch }
}

const ok = (data: unknown) => ({ status: 200, body: { success: true, message: 'ok', data } })
const moved = (hostId: string, hostUrl: string) => ({
  status: 421,
  body: { success: false, message: 'moved', error: { code: 'SESSION_MOVED', details: { hostId, hostUrl } } }
})
const health = { database: 'ok', sessions: {}, hostId: 'a', hosts: [] }

describe('the host client with several hosts', () => {
  it('follows SESSION_MOVED once to the host named, and sends that session there from then on', async () => {
    const hosts = fleet((origin, path) => (path.endsWith('/restart') ? (origin === B ? ok({ sessionId: 'shop-1' }) : moved('b', `${B}/`)) : ok(health)))
    const client = createHostClient({ hosts: [A, B], secret: SECRET, fetch: hosts.fetch })
    await client.call(SESSION_ROUTES.restart, { sessionId: 'shop-1' })
    assert.deepEqual(hosts.requests, [`${A} /internal/sessions/shop-1/restart`, `${B} /internal/sessions/shop-1/restart`])
    hosts.requests.length = 0
    await client.call(SESSION_ROUTES.restart, { sessionId: 'shop-1' })
    assert.deepEqual(hosts.requests, [`${B} /internal/sessions/shop-1/restart`])
  })

  it('hops at most once, and never to a host HOST_URL does not list; the caller sees no host URL', async () => {
    const hosts = fleet(origin => (origin === A ? moved('c', C) : moved('a', A)))
    const client = createHostClient({ hosts: [A, B], secret: SECRET, fetch: hosts.fetch })
    const refused = await client.call(SESSION_ROUTES.restart, { sessionId: 'shop-1' }).then(
      () => assert.fail('expected SESSION_MOVED'),
      (error: unknown) => error
    )
    assert.ok(refused instanceof AppError)
    assert.equal(refused.code, 'SESSION_MOVED')
    assert.deepEqual(refused.details, { hostId: 'c' })
    assert.deepEqual(hosts.requests, [`${A} /internal/sessions/shop-1/restart`])

    const bouncing = fleet(origin => (origin === A ? moved('b', B) : moved('a', A)))
    const again = createHostClient({ hosts: [A, B], secret: SECRET, fetch: bouncing.fetch })
    await assert.rejects(again.call(SESSION_ROUTES.restart, { sessionId: 'shop-1' }), { code: 'SESSION_MOVED' })
    assert.equal(bouncing.requests.length, 2)
  })

  it('skips a host that refuses the connection, and forgets it as the session’s host', async () => {
    let aDown = false
    const hosts = fleet((origin, path) => {
      if (origin === A && aDown) return 'refused'
      if (path.endsWith('/restart')) return origin === A ? ok({ sessionId: 'shop-1' }) : moved('a', A)
      return ok(health)
    })
    const client = createHostClient({ hosts: [B, A], secret: SECRET, fetch: hosts.fetch })
    await client.call(SESSION_ROUTES.restart, { sessionId: 'shop-1' })
    aDown = true
    hosts.requests.length = 0
    // A is the session's host as far as the client knows; it is down, so B answers (here: moved back to A).
    await assert.rejects(client.call(SESSION_ROUTES.restart, { sessionId: 'shop-1' }), { code: 'HOST_UNAVAILABLE' })
    assert.deepEqual(hosts.requests.slice(0, 2), [`${A} /internal/sessions/shop-1/restart`, `${B} /internal/sessions/shop-1/restart`])
    hosts.requests.length = 0
    await client.call(HEALTH_ROUTE, {})
    await client.call(HEALTH_ROUTE, {})
    assert.ok(hosts.requests.every(request => request.startsWith(B) || request.startsWith(A)))
    assert.ok(hosts.requests.some(request => request.startsWith(B)))
  })

  it('takes turns over the hosts for requests about no session', async () => {
    const hosts = fleet(() => ok(health))
    const client = createHostClient({ hosts: [A, B, C], secret: SECRET, fetch: hosts.fetch })
    for (let i = 0; i < 6; i++) await client.call(HEALTH_ROUTE, {})
    const counts = [A, B, C].map(origin => hosts.requests.filter(request => request.startsWith(origin)).length)
    assert.deepEqual(counts, [2, 2, 2])
  })
})
