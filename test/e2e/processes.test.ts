import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mintToken } from '../../gateway/auth/mint-token.ts'
import { WaSim } from '../../session-host/sim/index.ts'
import { recordSensitive } from '../support/log-audit.ts'
import { capturedLogs, startProcesses } from '../support/processes.ts'
import type { StackProcesses } from '../support/processes.ts'
import { until } from '../support/until.ts'
import type { Envelope } from '../support/api-envelope.ts'

/**
 * The gateway and the session host as separate processes, as `npm start` runs them, on a real
 * SQLite file, with real Baileys linked to the emulator running in this test process.
 */
describe('gateway and session host as processes', () => {
  const sim = new WaSim({ autoContacts: true })
  let stack: StackProcesses
  let token: string
  const sentCodes: string[] = []

  const api = async <T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: Envelope<T> }> => {
    const response = await fetch(`${stack.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    })
    return { status: response.status, body: (await response.json()) as Envelope<T> }
  }
  const connected = (sessionId: string) =>
    until(
      async () => ((await api<{ status: string }>('GET', `/api/sessions/${sessionId}/status`)).body.data?.status === 'connected' ? true : undefined),
      `${sessionId} connected`
    )

  before(async () => {
    const url = await sim.start()
    stack = await startProcesses({ WA_MODE: 'live', WA_WEBSOCKET_URL: url })
    token = await mintToken({ secret: stack.env.JWT_SECRET!, scopes: ['admin'], ttlSeconds: 600 })
    recordSensitive(token)
  })
  after(async () => {
    await stack?.stop()
    await sim.stop()
  })

  it('links a session by QR and another by pairing code', async () => {
    assert.equal((await api('POST', '/api/sessions/create', { sessionId: 'shop-1' })).status, 201)
    const qr = await until(async () => {
      const response = await api<{ qr: string; qrImage: string }>('GET', '/api/sessions/shop-1/qr')
      return response.status === 200 ? response.body.data : undefined
    }, 'a QR code')
    assert.match(qr.qrImage, /^data:image\/png;base64,/)
    await sim.linkWithQr(async () => (await api<{ qr: string }>('GET', '/api/sessions/shop-1/qr')).body.data?.qr, { accountPn: '6281200000001' })
    await connected('shop-1')

    assert.equal((await api('POST', '/api/sessions/create', { sessionId: 'shop-2' })).status, 201)
    await until(async () => ((await api('GET', '/api/sessions/shop-2/qr')).status === 200 ? true : undefined), 'shop-2 ready to link')
    const pairing = await api<{ code: string }>('POST', '/api/sessions/shop-2/pairing-code', { phoneNumber: '0812-0000-0002' })
    assert.equal(pairing.status, 200)
    assert.equal((await sim.enterPairingCode('6281200000002', pairing.body.data.code)).kind, 'linked')
    await connected('shop-2')
  })

  it('sends an OTP whose code the recipient decrypts, and approves it', async () => {
    const sent = await api<{ otpId: string; messageId: string }>('POST', '/api/messages/shop-1/otp', { to: '081234567891' })
    assert.equal(sent.status, 201)
    const received = await sim.waitForSent(m => m.id === sent.body.data.messageId)
    const text = received.decrypted.find(c => c.jid.startsWith('6281234567891'))?.message.extendedTextMessage?.text ?? ''
    const code = /\b(\d{6})\b/.exec(text)?.[1]
    assert.ok(code, text)
    sentCodes.push(code)
    recordSensitive(code)
    const verdict = await api<{ valid: boolean; status: string }>('POST', '/api/otp/verify', { otpId: sent.body.data.otpId, code })
    assert.deepEqual([verdict.body.data.valid, verdict.body.data.status], [true, 'approved'])
  })

  it('comes back connected after the host is killed and restarted, without a new QR', async () => {
    let registrations = 0
    const onRegistration = () => registrations++
    sim.on('registration', onRegistration)
    try {
      await stack.killHost('SIGKILL')
      const down = await api('GET', '/api/sessions/shop-1/status')
      assert.equal(down.status, 502)
      assert.equal(down.body.error?.code, 'HOST_UNAVAILABLE')
      await stack.startHost()
      await connected('shop-1')
      await connected('shop-2')
      assert.equal(registrations, 0)
      const text = await api<{ messageId: string }>('POST', '/api/messages/shop-1/text', { to: '081234567891', text: 'after the restart' })
      const received = await sim.waitForSent(m => m.id === text.body.data.messageId)
      assert.equal(received.decrypted.find(c => c.jid.startsWith('6281234567891'))?.message.extendedTextMessage?.text, 'after the restart')
    } finally {
      sim.off('registration', onRegistration)
    }
  })

  it('wrote no OTP code, token or secret to any log', () => {
    const logs = capturedLogs.join('\n')
    assert.ok(logs.length > 0)
    for (const secret of [token, stack.env.JWT_SECRET!, stack.env.INTERNAL_SECRET!, stack.env.OTP_PEPPER!]) {
      assert.ok(!logs.includes(secret), `a secret of length ${secret.length} appears in the logs`)
    }
    // A code standing alone: digit runs such as timestamps may contain the same six digits.
    for (const code of sentCodes) assert.doesNotMatch(logs, new RegExp(`(?<!\\d)${code}(?!\\d)`))
  })

  it('logs readable lines in development, where linking and its 515 restart raise no warning or error', () => {
    const lines = capturedLogs
      .flatMap(chunk => chunk.split('\n'))
      .map(line => line.replace(/^\[(host|gateway)\] /, ''))
      .filter(Boolean)
    assert.ok(
      lines.some(line => /^\[[\d:.]+\] INFO \(gateway\): gateway listening/.test(line)),
      'a readable gateway line'
    )
    assert.ok(
      lines.some(line => /^\[[\d:.]+\] INFO \(session-host\): /.test(line)),
      'a readable host line'
    )
    assert.deepEqual(
      lines.filter(line => line.startsWith('{')),
      [],
      'no JSON record'
    )
    // Three sessions linked (QR, pairing code, after a restart), each through the 515 restart.
    assert.deepEqual(
      lines.filter(line => /\] (WARN|ERROR|FATAL) /.test(line)),
      []
    )
  })
})

describe('gateway and session host logs in production', () => {
  it('are one JSON record per line', async () => {
    const before = capturedLogs.length
    const stack = await startProcesses({ NODE_ENV: 'production', WA_MODE: 'sandbox', LOG_LEVEL: 'info' })
    await stack.stop()
    const lines = capturedLogs
      .slice(before)
      .flatMap(chunk => chunk.split('\n'))
      .map(line => line.replace(/^\[(host|gateway)\] /, ''))
      .filter(Boolean)
    const records = lines.map(line => JSON.parse(line) as { level: number; name: string; msg: string })
    assert.ok(records.some(record => record.name === 'gateway' && record.msg === 'gateway listening'))
    assert.ok(records.some(record => record.name === 'session-host'))
  })
})
