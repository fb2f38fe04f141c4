import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { mintToken } from '../../gateway/auth/mint-token.ts'
import type { Scope } from '../../gateway/auth/scopes.ts'
import { codesIn, recordSensitive } from '../support/log-audit.ts'
import { capturedLogs, startProcesses } from '../support/processes.ts'
import type { StackProcesses } from '../support/processes.ts'
import { startInProcessStack } from '../support/in-process-stack.ts'
import { until } from '../support/until.ts'

type Envelope<T> = { success: boolean; sandbox?: boolean; message: string; data: T; error?: { code: string } }
type SandboxMessage = { messageId: string; sessionId: string | null; to: string; text: string | null }

/** `WA_MODE=sandbox`, as `npm start` runs it: the host links sessions to its built-in emulator. */
describe('sandbox mode', () => {
  let stack: StackProcesses
  let admin: string

  const token = async (scopes: Scope[], sessions?: string[]) => {
    const minted = await mintToken({ secret: stack.env.JWT_SECRET!, scopes, ttlSeconds: 600, ...(sessions ? { sessions } : {}) })
    recordSensitive(minted)
    return minted
  }
  const api = async <T>(method: string, path: string, body?: unknown, bearer = admin) => {
    const response = await fetch(`${stack.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    })
    return { status: response.status, headers: response.headers, body: (await response.json()) as Envelope<T> }
  }

  before(async () => {
    stack = await startProcesses({ WA_MODE: 'sandbox' })
    admin = await token(['admin'])
  })
  after(() => stack?.stop())

  it('says it is the sandbox in health, headers and logs', async () => {
    const health = await api<{ mode: string }>('GET', '/api/health')
    assert.equal(health.body.data.mode, 'sandbox')
    assert.equal(health.headers.get('x-wa-mode'), 'sandbox')
    assert.match(capturedLogs.join(''), /SANDBOX MODE/)
  })

  it('links a new session by itself and shows it on the QR page', async () => {
    assert.equal((await api('POST', '/api/sessions/create', { sessionId: 'demo' })).status, 201)
    await until(async () => ((await api<{ status: string }>('GET', '/api/sessions/demo/status')).body.data.status === 'connected' ? true : undefined), 'demo connected')
    const link = await api<{ path: string }>('POST', '/api/sessions/demo/qr-link')
    const page = await (await fetch(`${stack.url}${link.body.data.path}`)).text()
    assert.match(page, /SANDBOX/)
    const statePath = /data-state="([^"]+)"/.exec(page)?.[1]?.replaceAll('&amp;', '&') ?? ''
    const state = (await (await fetch(`${stack.url}${statePath}`)).json()) as Envelope<{ status: string }>
    assert.equal(state.data.status, 'connected')
  })

  it('reads back what the simulated recipient decrypted, only for sessions the token may use', async () => {
    assert.equal((await api('POST', '/api/sessions/create', { sessionId: 'other' })).status, 201)
    await until(async () => ((await api<{ status: string }>('GET', '/api/sessions/other/status')).body.data.status === 'connected' ? true : undefined), 'other connected')
    const sent = await api<{ otpId: string; messageId: string }>('POST', '/api/messages/demo/otp', { to: '0812 3456 7890' })
    assert.equal(sent.status, 201)
    await api('POST', '/api/messages/other/text', { to: '081234567890', text: 'from the other session' })

    const readBack = await until(async () => {
      const response = await api<SandboxMessage[]>('GET', '/api/sandbox/messages?to=081234567890')
      return response.body.data.length === 2 && response.body.data.every(m => m.text) ? response : undefined
    }, 'both messages decrypted')
    assert.equal(readBack.body.sandbox, true)
    assert.match(readBack.body.message, /^Sandbox/)
    const otp = readBack.body.data.find(m => m.messageId === sent.body.data.messageId)
    assert.equal(otp?.sessionId, 'demo')
    assert.equal(otp?.to, '6281234567890@s.whatsapp.net')
    const [code] = codesIn(otp?.text)
    assert.ok(code)
    recordSensitive(code)
    const verdict = await api<{ status: string }>('POST', '/api/otp/verify', { otpId: sent.body.data.otpId, code })
    assert.equal(verdict.body.data.status, 'approved')

    const demoOnly = await api<SandboxMessage[]>('GET', '/api/sandbox/messages', undefined, await token(['messages:send'], ['demo']))
    assert.deepEqual([...new Set(demoOnly.body.data.map(m => m.sessionId))], ['demo'])
    const noScope = await api('GET', '/api/sandbox/messages', undefined, await token(['otp:verify']))
    assert.equal(noScope.body.error?.code, 'INSUFFICIENT_SCOPE')
  })
})

describe('live mode', () => {
  it('has no sandbox read-back route', async () => {
    const stack = await startInProcessStack()
    try {
      const response = await stack.call('GET', '/api/sandbox/messages', { token: await stack.token('admin') })
      assert.equal(response.status, 404)
      assert.equal(response.headers.get('x-wa-mode'), null)
    } finally {
      await stack.stop()
    }
  })
})
