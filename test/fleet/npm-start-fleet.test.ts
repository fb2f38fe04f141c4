import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { mintToken } from '../../gateway/auth/mint-token.ts'
import { recordSensitive } from '../support/log-audit.ts'
import { npmStart } from '../support/npm-start.ts'
import type { NpmStart } from '../support/npm-start.ts'
import { startPostgres } from '../support/postgres.ts'
import { TEST_SECRETS } from '../support/processes.ts'
import type { Postgres } from '../support/postgres.ts'
import { until } from '../support/until.ts'

type Answer = { status: number; body: { data?: unknown; error?: { code: string } } }

/**
 * `DATABASE_URL=postgres://… WA_MODE=sandbox npm start -- --hosts 3`, as the README says: three
 * hosts and the gateway under the supervisor, the hosts sharing one emulator, so the sandbox works
 * across the fleet (sessions link by themselves wherever they land, read-back sees every host's sends).
 */
describe('npm start -- --hosts 3 in sandbox mode', () => {
  let postgres: Postgres
  let fleet: NpmStart
  let api: (method: string, path: string, body?: unknown) => Promise<Answer>

  before(async () => {
    postgres = await startPostgres()
    const databaseUrl = await postgres.createDatabase('sandbox_fleet')
    recordSensitive(databaseUrl)
    fleet = await npmStart({ DATABASE_URL: databaseUrl, WA_MODE: 'sandbox' }, ['--hosts', '3'])
    await until(
      async () =>
        (await fetch(`${fleet.url}/api/health`).then(
          r => r.ok,
          () => false
        )) || undefined,
      'the gateway',
      { timeoutMs: 90_000 }
    ).catch(error => {
      // Say what came up and what failed (not the whole output: it holds the admin token).
      const lines = fleet
        .output()
        .split('\n')
        .filter(line => /listening|ERROR|FATAL|exited|restart/i.test(line))
      throw new Error(`${(error as Error).message}; npm start said:\n${lines.slice(-40).join('\n')}`)
    })
    const token = await mintToken({ secret: TEST_SECRETS.JWT_SECRET, scopes: ['admin'], ttlSeconds: 600 })
    recordSensitive(token)
    api = async (method, path, body) => {
      const response = await fetch(`${fleet.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) })
      })
      return { status: response.status, body: (await response.json()) as Answer['body'] }
    }
  })
  after(async () => {
    await fleet?.stop()
    await postgres?.stop()
  })

  it('names the sandbox sessions it created instead of printing QR page links no phone will open', async () => {
    // Booleans only: the output holds the admin token, which an assertion message would print.
    const said = await until(async () => (fleet.output().includes('Sandbox sessions') ? fleet.output() : undefined), 'npm start naming its sessions')
    assert.ok(said.includes('Sandbox sessions (they link to the emulator by themselves): default'), 'the default session is named')
    assert.ok(!said.includes('QR page'), 'no QR page link is printed in sandbox mode')
  })

  it('runs three hosts; sessions land on all of them, link to the one emulator, and send codes the read-back shows', async () => {
    const health = (await api('GET', '/api/health')).body.data as { hosts: { id: string; status: string }[] }
    assert.deepEqual(
      health.hosts.map(host => [host.id, host.status]),
      [
        ['host-1', 'up'],
        ['host-2', 'up'],
        ['host-3', 'up']
      ]
    )
    const ids = ['shop-a', 'shop-b', 'shop-c', 'shop-d', 'shop-e', 'shop-f']
    for (const sessionId of ids) assert.equal((await api('POST', '/api/sessions/create', { sessionId })).status, 201)
    const sessions = await until(
      async () => {
        const listed = (await api('GET', '/api/sessions')).body.data as { sessions: { sessionId: string; status: string; hostId: string | null }[] }
        const ours = listed.sessions.filter(session => ids.includes(session.sessionId))
        return ours.length === ids.length && ours.every(session => session.status === 'connected') ? ours : undefined
      },
      'every session linked in the sandbox',
      { timeoutMs: 60_000 }
    )
    assert.ok(new Set(sessions.map(session => session.hostId)).size >= 2, `sessions on several hosts: ${JSON.stringify(sessions)}`)
    for (const [index, sessionId] of ids.entries()) {
      const to = `62812345670${index}`
      const sent = await api('POST', `/api/messages/${sessionId}/otp`, { to: `+${to}` })
      assert.equal(sent.status, 201, JSON.stringify(sent.body))
      const { otpId } = sent.body.data as { otpId: string }
      const read = await until(async () => {
        const messages = (await api('GET', `/api/sandbox/messages?to=${to}`)).body.data as { sessionId: string; text: string | null }[]
        return messages.find(message => message.sessionId === sessionId && message.text)
      }, `${sessionId}'s code at the read-back`)
      const code = /\b(\d{6})\b/.exec(read.text ?? '')?.[1]
      const verified = await api('POST', '/api/otp/verify', { otpId, code })
      assert.equal((verified.body.data as { valid?: boolean }).valid, true)
    }
  })
})
