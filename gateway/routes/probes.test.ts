import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { errorEnvelope, ok } from '../../shared/errors.ts'
import { gatewayOnFakeHost } from '../../test/support/gateway-on-fake-host.ts'

const healthy = {
  database: 'ok',
  sessions: {},
  hostId: 'host-1',
  ready: true,
  hosts: [{ id: 'host-1', url: 'http://h1', status: 'up', live: true, sessions: 0 }]
}

describe('the probes (/livez, /readyz)', () => {
  const probe = async (path: string) => {
    const response = await stack.request(path)
    return { status: response.status, body: (await response.json()) as { status: string; reasons?: string[] } }
  }
  const stack = gatewayOnFakeHost()

  it('answer without a token, and liveness never asks the host', async () => {
    stack.host.on('GET /internal/health', () => errorEnvelope('INTERNAL_ERROR', 'down'))
    const before = stack.host.callsTo('GET', '/internal/health').length
    assert.deepEqual(await probe('/livez'), { status: 200, body: { status: 'ok' } })
    assert.equal(stack.host.callsTo('GET', '/internal/health').length, before)
  })

  it('is ready when a host answers, its database takes writes and it has restored its sessions', async () => {
    stack.host.on('GET /internal/health', () => ok('Host health', healthy))
    assert.deepEqual(await probe('/readyz'), { status: 200, body: { status: 'ready' } })
  })

  it('says why it is not ready, with a 503', async () => {
    stack.host.on('GET /internal/health', () => errorEnvelope('INTERNAL_ERROR', 'down'))
    assert.deepEqual(await probe('/readyz'), { status: 503, body: { status: 'not ready', reasons: ['host unreachable'] } })
    stack.host.on('GET /internal/health', () => ok('Host health', { ...healthy, database: 'unwritable', ready: false }))
    assert.deepEqual(await probe('/readyz'), { status: 503, body: { status: 'not ready', reasons: ['database', 'sessions not restored'] } })
    stack.host.on('GET /internal/health', () => ok('Host health', { ...healthy, hosts: [{ ...healthy.hosts[0], live: false }] }))
    assert.deepEqual(await probe('/readyz'), { status: 503, body: { status: 'not ready', reasons: ['no live host'] } })
  })
})
