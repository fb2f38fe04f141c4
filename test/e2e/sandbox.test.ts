import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { mintToken } from '../../gateway/auth/mint-token.ts'
import type { Scope } from '../../gateway/auth/scopes.ts'
import { codesIn, recordSensitive } from '../support/log-audit.ts'
import { capturedLogs, startProcesses } from '../support/processes.ts'
import type { StackProcesses } from '../support/processes.ts'
import { startInProcessStack } from '../support/in-process-stack.ts'
import { until } from '../support/until.ts'
import { mediaSamples } from '../support/media-fixtures.ts'
import { startWebhookReceiver } from '../support/webhook-receiver.ts'
import type { Envelope } from '../support/api-envelope.ts'

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

  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>
  before(async () => {
    // Quick receipts and a short ack timeout, so the test numbers show their behaviour in seconds.
    stack = await startProcesses({
      WA_MODE: 'sandbox',
      SANDBOX_DELIVERED_AFTER_MS: '100',
      SANDBOX_READ_AFTER_MS: '400',
      ACK_TIMEOUT_MS: '1500',
      WEBHOOK_ALLOWED_HOSTS: '127.0.0.1'
    })
    admin = await token(['admin'])
    receiver = await startWebhookReceiver()
  })
  after(async () => {
    await stack?.stop()
    await receiver?.stop()
  })
  const statusOf = (messageId: string) => api<{ status: string; error: string | null }>('GET', `/api/messages/demo/${messageId}`).then(r => r.body.data)

  it('says it is the sandbox in health, headers and logs', async () => {
    const health = await api<{ mode: string }>('GET', '/api/health')
    assert.equal(health.body.data.mode, 'sandbox')
    assert.equal(health.headers.get('x-wa-mode'), 'sandbox')
    assert.match(capturedLogs.join(''), /SANDBOX MODE/)
  })

  it('links a new session by itself and shows it on the QR page', async () => {
    assert.equal((await api('POST', '/api/sessions/create', { sessionId: 'demo' })).status, 201)
    await until(
      async () => ((await api<{ status: string }>('GET', '/api/sessions/demo/status')).body.data.status === 'connected' ? true : undefined),
      'demo connected'
    )
    // The send governor is on in the sandbox too; the tests below write to many new numbers at
    // once, so this session gets no gap between them, as the README tells sandbox users.
    const governor = await api<{ enabled: boolean; dailyCap: number }>('PUT', '/api/sessions/demo/governor', { settings: { newChatGapSeconds: 0 } })
    assert.equal(governor.status, 200)
    assert.equal(governor.body.data.enabled, true)
    assert.equal(governor.body.data.dailyCap, 20)
    const link = await api<{ path: string }>('POST', '/api/sessions/demo/qr-link')
    const page = await (await fetch(`${stack.url}${link.body.data.path}`)).text()
    assert.match(page, /SANDBOX/)
    const statePath = /data-state="([^"]+)"/.exec(page)?.[1]?.replaceAll('&amp;', '&') ?? ''
    const state = (await (await fetch(`${stack.url}${statePath}`)).json()) as Envelope<{ status: string }>
    assert.equal(state.data.status, 'connected')
  })

  it('reads back what the simulated recipient decrypted, only for sessions the token may use', async () => {
    assert.equal((await api('POST', '/api/sessions/create', { sessionId: 'other' })).status, 201)
    await until(
      async () => ((await api<{ status: string }>('GET', '/api/sessions/other/status')).body.data.status === 'connected' ? true : undefined),
      'other connected'
    )
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

  it('answers each message with a delivery receipt, then a read receipt', async () => {
    const sent = await api<{ messageId: string }>('POST', '/api/messages/demo/text', { to: '081234567001', text: 'receipts please' })
    assert.equal(sent.status, 200)
    const seen: string[] = []
    await until(async () => {
      const { status } = await statusOf(sent.body.data.messageId)
      if (seen.at(-1) !== status) seen.push(status)
      return status === 'read' ? true : undefined
    }, 'read')
    assert.ok(seen.includes('read') && seen.indexOf('read') === seen.length - 1, seen.join(' → '))
    const message = await statusOf(sent.body.data.messageId)
    assert.equal(message.status, 'read')
  })

  it('has test numbers: 0000 is not on WhatsApp, 0463 is refused, 0408 is never acknowledged, 0001 is delivered but never read', async () => {
    const notOnWhatsApp = await api('POST', '/api/messages/demo/text', { to: '081234560000', text: 'hello?' })
    assert.equal(notOnWhatsApp.status, 422)
    assert.equal(notOnWhatsApp.body.error?.code, 'NOT_ON_WHATSAPP')
    const otpNotOnWhatsApp = await api('POST', '/api/messages/demo/otp', { to: '081234560000' })
    assert.equal(otpNotOnWhatsApp.status, 422)
    assert.equal(otpNotOnWhatsApp.body.error?.code, 'NOT_ON_WHATSAPP')
    assert.deepEqual(otpNotOnWhatsApp.body.error?.details, { to: '+6281234560000' })

    const refusedOtp = await api<{ otpId: string; messageId: string }>('POST', '/api/messages/demo/otp', { to: '081234560463' })
    assert.equal(refusedOtp.status, 201)
    const refused = await until(async () => {
      const message = await statusOf(refusedOtp.body.data.messageId)
      return message.status === 'failed' ? message : undefined
    }, '0463 failed')
    assert.match(refused.error ?? '', /^whatsapp_refused_463/)
    assert.equal((await api<{ status: string }>('GET', `/api/otp/${refusedOtp.body.data.otpId}`)).body.data.status, 'failed')

    const unacked = await api<{ messageId: string }>('POST', '/api/messages/demo/text', { to: '081234560408', text: 'anyone?' })
    const timedOut = await until(async () => {
      const message = await statusOf(unacked.body.data.messageId)
      return message.status === 'failed' ? message : undefined
    }, '0408 failed')
    assert.match(timedOut.error ?? '', /^not_acknowledged/)

    const unread = await api<{ messageId: string }>('POST', '/api/messages/demo/text', { to: '081234560001', text: 'seen?' })
    await until(async () => ((await statusOf(unread.body.data.messageId)).status === 'delivered' ? true : undefined), '0001 delivered')
    await new Promise(resolve => setTimeout(resolve, 1_000))
    assert.equal((await statusOf(unread.body.data.messageId)).status, 'delivered', 'never read')
  })

  it('lets a contact write to a session (POST /api/sandbox/inbound), which arrives as message.received', async () => {
    const endpoint = await api<{ secret: string }>('PUT', '/api/sessions/demo/webhook', { url: receiver.url, events: ['message.received'] })
    assert.equal(endpoint.status, 200, JSON.stringify(endpoint.body))
    receiver.setSecret(endpoint.body.data.secret)
    const sent = await api<{ messageId: string }>('POST', '/api/sandbox/inbound', { sessionId: 'demo', from: '081234567002', text: 'hi from a customer' })
    assert.equal(sent.status, 201, JSON.stringify(sent.body))
    assert.equal(sent.body.sandbox, true)
    const received = await receiver.waitFor(
      r => r.find(e => e.type === 'message.received' && e.data.messageId === sent.body.data.messageId),
      'message.received'
    )
    assert.equal(received.data.text, 'hi from a customer')
    assert.equal(received.data.from, '6281234567002')
    const { image } = await mediaSamples()
    const file = await api<{ messageId: string }>('POST', '/api/sandbox/inbound', {
      sessionId: 'demo',
      from: '081234567002',
      media: { type: 'image', data: image.bytes.toString('base64'), caption: 'my receipt' }
    })
    assert.equal(file.status, 201, JSON.stringify(file.body))
    const picture = await receiver.waitFor(
      r => r.find(e => e.type === 'message.received' && e.data.messageId === file.body.data.messageId),
      'message.received with media'
    )
    assert.equal(picture.data.type, 'image')
    assert.deepEqual(picture.data.media, { mimetype: 'image/png', fileName: null, size: image.bytes.length, caption: 'my receipt' })
    // The session learnt this contact's LID from the messages above; a stranger's stays unnamed.
    for (const [from, number] of [
      ['081234567002', '6281234567002'],
      ['081234567009', null]
    ] as const) {
      const byLid = await api<{ messageId: string }>('POST', '/api/sandbox/inbound', { sessionId: 'demo', from, text: 'by LID only', lidOnly: true })
      assert.equal(byLid.status, 201, JSON.stringify(byLid.body))
      const lidOnly = await receiver.waitFor(r => r.find(e => e.data.messageId === byLid.body.data.messageId), 'message.received by LID only')
      assert.equal(lidOnly.data.from, number)
      assert.match(String(lidOnly.data.fromJid), /^\d+@lid$/)
    }
    const bad = await api('POST', '/api/sandbox/inbound', { sessionId: 'demo', from: '081234567002' })
    assert.equal(bad.status, 400)
  })

  /** Sessions linked by pairing code below, with the number each asked for. */
  const paired = new Map<string, string>()

  it('links a session asking for a pairing code before its QR is scanned as the number asked for', async () => {
    const asks = [
      ['pair-1', '081299990011'],
      ['pair-2', '081299990022'],
      ['pair-3', '081299990033']
    ] as const
    const answers = await Promise.all(
      asks.map(async ([sessionId, local]) => {
        assert.equal((await api('POST', '/api/sessions/create', { sessionId })).status, 201)
        return { sessionId, local, answer: await api<{ code: string }>('POST', `/api/sessions/${sessionId}/pairing-code`, { phoneNumber: local }) }
      })
    )
    for (const { sessionId, local, answer } of answers) {
      // A QR scanned first would link the session (409); nothing else may come back.
      assert.ok([200, 409].includes(answer.status), `${sessionId}: ${answer.status} ${answer.body.error?.code}`)
      if (answer.status !== 200) continue
      assert.match(answer.body.data.code, /^[A-Z0-9]{4}-?[A-Z0-9]{4}$/)
      paired.set(sessionId, `62${local.slice(1)}`)
    }
    assert.ok(paired.size > 0, 'a request made at once comes before the first QR is scanned')
    for (const [sessionId, pn] of paired) {
      const linked = await until(async () => {
        const { data } = (await api<{ status: string; phoneNumber: string | null }>('GET', `/api/sessions/${sessionId}/status`)).body
        return data.status === 'connected' ? data : undefined
      }, `${sessionId} linked by its code`)
      assert.equal(linked.phoneNumber, pn, `${sessionId} is linked as the number that asked for the code`)
    }
  })

  it('keeps its accounts across a host restart: sessions come back connected, without a QR, and send', async () => {
    await stack.killHost('SIGKILL')
    await stack.startHost()
    await until(
      async () => ((await api<{ status: string }>('GET', '/api/sessions/demo/status')).body.data?.status === 'connected' ? true : undefined),
      'demo connected again'
    )
    // Those linked by pairing code too, as the same numbers.
    for (const [sessionId, pn] of paired) {
      const back = await until(async () => {
        const { data } = (await api<{ status: string; phoneNumber: string | null }>('GET', `/api/sessions/${sessionId}/status`)).body
        return data?.status === 'connected' || data?.status === 'logged_out' ? data : undefined
      }, `${sessionId} back after the restart`)
      assert.deepEqual([back.status, back.phoneNumber], ['connected', pn], sessionId)
    }
    const sent = await api<{ messageId: string }>('POST', '/api/messages/demo/text', { to: '081234567003', text: 'after the restart' })
    assert.equal(sent.status, 200)
    const readBack = await until(async () => {
      const response = await api<SandboxMessage[]>('GET', '/api/sandbox/messages?to=081234567003')
      return response.body.data.find(m => m.messageId === sent.body.data.messageId && m.text) ?? undefined
    }, 'the message decrypted after the restart')
    assert.equal(readBack.text, 'after the restart')
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
