import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { Webhook } from 'standardwebhooks'
import { generateWebhookSecret } from '../../gateway/webhooks/standard-webhooks.ts'
import { startInProcessStack } from '../support/in-process-stack.ts'
import { startProcessStack } from '../support/process-stack.ts'
import type { ProcessStack } from '../support/process-stack.ts'
import { recordSensitive } from '../support/log-audit.ts'
import { startWebhookReceiver } from '../support/webhook-receiver.ts'

type Stack = ProcessStack
type Receiver = Awaited<ReturnType<typeof startWebhookReceiver>>

const ACCOUNT = '6281100000001'
const CUSTOMER = '6281199990001'

describe('webhooks through the gateway and host processes and real Baileys', () => {
  let stack: Stack
  let receiver: Receiver
  let admin: string
  before(async () => {
    // Fast retries; the retry window is long enough that nothing dies during these tests.
    stack = await startProcessStack({ WEBHOOK_RETRY_DELAYS_MS: '20,50,100' })
    receiver = await startWebhookReceiver()
    admin = await stack.token('admin')
  })
  after(async () => {
    await stack?.stop()
    await receiver?.stop()
  })

  it('sends signed session.qr and session.status events while a session links, verified by the standardwebhooks library', async () => {
    // Down until it knows the secret, which it learns from the create answer.
    receiver.state.down = true
    const created = (await stack.linkSession('shop-1', ACCOUNT, { webhook: { url: receiver.url } })) as {
      webhook: { url: string; events: null; secret: string }
    }
    assert.match(created.webhook.secret, /^whsec_[A-Za-z0-9+/]{43}=$/)
    receiver.setSecret(created.webhook.secret)
    receiver.state.down = false
    const connected = await receiver.waitFor(r => r.find(e => e.type === 'session.status' && e.data.status === 'connected'), 'session.status connected')
    assert.deepEqual(connected.data, { sessionId: 'shop-1', status: 'connected', phoneNumber: ACCOUNT, restriction: null, reason: null })
    assert.match(connected.id, /^evt_/)
    assert.ok(!Number.isNaN(Date.parse(connected.timestamp)))
    const types = receiver.state.verified.map(e => e.type)
    assert.ok(types.indexOf('session.qr') < types.lastIndexOf('session.status'))
    assert.equal(receiver.state.refused, 0)

    // The same library refuses a real delivery that was tampered with, checked with another
    // secret, or presented after its timestamp left the tolerance (five minutes).
    const { body, headers } = receiver.state.lastRaw!
    const library = new Webhook(created.webhook.secret)
    assert.doesNotThrow(() => library.verify(body, headers))
    assert.throws(() => library.verify(body.replace(/}$/, ',"tampered":true}'), headers), /signature/i)
    assert.throws(() => new Webhook(generateWebhookSecret()).verify(body, headers), /signature/i)
    const realNow = Date.now
    Date.now = () => realNow() + 6 * 60_000
    try {
      assert.throws(() => library.verify(body, headers), /timestamp/i)
    } finally {
      Date.now = realNow
    }

    // The secret was shown once: reading the webhook back does not show it.
    const read = await stack.call('GET', '/api/sessions/shop-1/webhook', { token: admin })
    assert.deepEqual(read.body.data, { url: receiver.url, events: null })
  })

  it('sends message.received for an inbound text', async () => {
    const messageId = await stack.sim.injectText(CUSTOMER, ACCOUNT, 'Halo, kode saya belum masuk')
    const event = await receiver.waitFor(r => r.find(e => e.type === 'message.received' && e.data.messageId === messageId), 'message.received')
    assert.equal(event.data.type, 'text')
    assert.equal(event.data.text, 'Halo, kode saya belum masuk')
    assert.equal(event.data.from, CUSTOMER)
    assert.equal(event.data.sessionId, 'shop-1')
  })

  it('signs with both secrets during a rotation, and with the new one alone for a receiver that switched', async () => {
    const rotated = await stack.call('PUT', '/api/sessions/shop-1/webhook', {
      token: admin,
      body: { url: receiver.url, events: ['message.received'], rotateSecret: true }
    })
    assert.equal(rotated.status, 200)
    const secret = (rotated.body.data as { secret: string }).secret
    assert.match(secret, /^whsec_/)
    receiver.setSecret(secret)
    const messageId = await stack.sim.injectText(CUSTOMER, ACCOUNT, 'after rotation')
    await receiver.waitFor(r => r.find(e => e.data.messageId === messageId), 'a message signed with the new secret')
    assert.equal(receiver.state.refused, 0)
    // A later PUT without a secret keeps the secret and shows none.
    const kept = await stack.call('PUT', '/api/sessions/shop-1/webhook', { token: admin, body: { url: receiver.url, events: ['message.received'] } })
    assert.deepEqual(kept.body.data, { url: receiver.url, events: ['message.received'] })
  })

  it('delivers all 50 events, each session in order and each once, after the receiver was down', async () => {
    const down = await startWebhookReceiver()
    try {
      const webhook = { url: down.url, events: ['message.received'] }
      const a = (await stack.linkSession('shop-a', '6281100000002', { webhook })) as { webhook: { secret: string } }
      const b = (await stack.linkSession('shop-b', '6281100000003', { webhook: { ...webhook, secret: a.webhook.secret } })) as { webhook: { secret?: string } }
      assert.equal(b.webhook.secret, undefined, 'a caller-chosen secret is not echoed')
      down.setSecret(a.webhook.secret)
      down.state.down = true
      const recorded = () => stack.query<{ n: number }>(`SELECT count(*) AS n FROM webhook_events WHERE type = 'message.received'`)[0]?.n ?? 0
      const before = recorded()
      for (let i = 0; i < 25; i++) {
        await stack.sim.injectText(CUSTOMER, '6281100000002', `a-${i}`)
        await stack.sim.injectText(CUSTOMER, '6281100000003', `b-${i}`)
      }
      // All 50 are in the outbox and both streams were refused at least twice before the receiver returns.
      for (let i = 0; i < 500 && (recorded() < before + 50 || down.state.attempts < 4); i++) await new Promise(r => setTimeout(r, 20))
      assert.equal(recorded(), before + 50)
      assert.ok(down.state.attempts >= 4, 'deliveries were tried while the receiver was down')
      assert.equal(down.state.verified.length, 0)

      down.state.down = false
      await down.waitFor(r => new Set(r.map(e => e.data.text)).size >= 50 || undefined, 'all 50 events')
      const texts = (prefix: string) => down.state.verified.map(e => String(e.data.text)).filter(t => t.startsWith(prefix))
      const firsts = (prefix: string) => [...new Set(texts(prefix))]
      assert.deepEqual(
        firsts('a-'),
        Array.from({ length: 25 }, (_, i) => `a-${i}`)
      )
      assert.deepEqual(
        firsts('b-'),
        Array.from({ length: 25 }, (_, i) => `b-${i}`)
      )
      // At least once, but never the same event under two ids.
      const idsByText = new Map<string, Set<string>>()
      for (const e of down.state.verified) idsByText.set(String(e.data.text), (idsByText.get(String(e.data.text)) ?? new Set()).add(e.id))
      assert.ok([...idsByText.values()].every(ids => ids.size === 1))
      assert.equal(new Set(down.state.verified.map(e => e.id)).size, 50)
      assert.equal(down.state.refused, 0)
    } finally {
      await down.stop()
    }
  })

  it('refuses webhook URLs that point into private networks', async () => {
    for (const url of ['http://10.0.0.8/hook', 'http://localhost:3000/hook', 'ftp://example.com/']) {
      const response = await stack.call('POST', '/api/sessions/create', { token: admin, body: { sessionId: 'shop-x', webhook: { url } } })
      assert.equal(response.status, 422, url)
      assert.equal(response.body.error.code, 'URL_NOT_ALLOWED')
    }
    const missing = await stack.call('GET', '/api/sessions/shop-x/status', { token: admin })
    assert.equal(missing.status, 404)
  })

  it('lets only the host call the gateway delivery route', async () => {
    const body = JSON.stringify({
      eventId: 'evt_abcdefgh',
      type: 'otp.status',
      timestamp: new Date().toISOString(),
      data: {},
      url: receiver.url,
      secrets: [`whsec_${Buffer.alloc(32).toString('base64')}`]
    })
    const response = await fetch(`${stack.url}/internal/webhook-deliveries`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
    assert.equal(response.status, 401)
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'INTERNAL_AUTH_FAILED')
  })
})

describe('webhook dead letters', () => {
  let stack: Stack
  let receiver: Receiver
  before(async () => {
    stack = await startProcessStack({ WEBHOOK_RETRY_DELAYS_MS: '10,20', WEBHOOK_RETRY_FOR_MS: '200' })
    receiver = await startWebhookReceiver()
  })
  after(async () => {
    await stack?.stop()
    await receiver?.stop()
  })

  it('dead-letters an event after the last retry, lists it for allowed tokens, and replays it with the same id', async () => {
    const admin = await stack.token('admin')
    const created = (await stack.linkSession('shop-1', ACCOUNT, { webhook: { url: receiver.url, events: ['message.received'] } })) as {
      webhook: { secret: string }
    }
    receiver.setSecret(created.webhook.secret)
    receiver.state.down = true
    const messageId = await stack.sim.injectText(CUSTOMER, ACCOUNT, 'will die first')

    let letters: { eventId: string; sessionId: string; type: string; endpoint: string; attempts: number; lastError: string }[] = []
    for (let i = 0; i < 300 && letters.length === 0; i++) {
      await new Promise(r => setTimeout(r, 20))
      letters = (await stack.call('GET', '/api/webhooks/dead-letters', { token: admin })).body.data as typeof letters
    }
    assert.equal(letters.length, 1)
    assert.equal(letters[0]?.type, 'message.received')
    assert.equal(letters[0]?.endpoint, 'session')
    assert.equal(letters[0]?.lastError, 'HTTP 503')
    assert.ok((letters[0]?.attempts ?? 0) >= 2)
    const eventId = letters[0]!.eventId

    // Tokens see and replay only their sessions' dead letters, and need sessions:write.
    const other = await stack.token('sessions:write', { sessions: ['shop-2'] })
    assert.deepEqual((await stack.call('GET', '/api/webhooks/dead-letters', { token: other })).body.data, [])
    assert.equal((await stack.call('POST', `/api/webhooks/dead-letters/${eventId}/replay`, { token: other })).status, 404)
    const reader = await stack.token('sessions:read')
    assert.equal((await stack.call('GET', '/api/webhooks/dead-letters', { token: reader })).status, 403)

    receiver.state.down = false
    const mine = await stack.token('sessions:write', { sessions: ['shop-1'] })
    const replayed = await stack.call('POST', `/api/webhooks/dead-letters/${eventId}/replay`, { token: mine })
    assert.equal(replayed.status, 200)
    const event = await receiver.waitFor(r => r.find(e => e.data.messageId === messageId), 'the replayed event')
    assert.equal(event.id, eventId)
    assert.deepEqual((await stack.call('GET', '/api/webhooks/dead-letters', { token: admin })).body.data, [])
  })
})

describe('webhook host names that resolve into private networks', () => {
  let stack: Awaited<ReturnType<typeof startInProcessStack>>
  let receiver: Receiver
  before(async () => {
    // The test answers DNS: one name points at the loopback receiver, as a hostile one could.
    const webhookResolve = async (name: string) => (name === 'hooks.example.test' ? [{ address: '127.0.0.1', family: 4 }] : [])
    stack = await startInProcessStack({ webhookRetry: { delaysMs: '10,20', forMs: '200' }, webhookResolve })
    receiver = await startWebhookReceiver()
  })
  after(async () => {
    await stack?.stop()
    await receiver?.stop()
  })

  it('never delivers to a host name that resolves to a private address, and dead-letters those events as "address not allowed"', async () => {
    const admin = await stack.token('admin')
    const url = new URL(receiver.url)
    url.hostname = 'hooks.example.test'
    const created = (await stack.linkSession('shop-3', '6281100000004', { webhook: { url: url.href, events: ['message.received'] } })) as {
      webhook: { url: string; secret: string }
    }
    assert.equal(created.webhook.url, url.href, 'a host name passes the check when it is set')
    receiver.setSecret(created.webhook.secret)
    const attemptsBefore = receiver.state.attempts
    await stack.sim.injectText(CUSTOMER, '6281100000004', 'to a rebinding name')

    let letters: { sessionId: string; url: string; lastError: string }[] = []
    for (let i = 0; i < 300 && letters.length === 0; i++) {
      await new Promise(r => setTimeout(r, 20))
      letters = ((await stack.call('GET', '/api/webhooks/dead-letters', { token: admin })).body.data as typeof letters).filter(l => l.sessionId === 'shop-3')
    }
    assert.equal(letters.length, 1)
    assert.equal(letters[0]?.url, url.href)
    assert.equal(letters[0]?.lastError, 'address not allowed')
    assert.equal(receiver.state.attempts, attemptsBefore)
  })
})

describe('the global webhook from the host environment', () => {
  let stack: Stack
  let receiver: Receiver
  const [current, previous] = [generateWebhookSecret(), generateWebhookSecret()]
  before(async () => {
    recordSensitive(current, previous)
    receiver = await startWebhookReceiver()
    // The receiver still holds the previous secret: during a rotation both sign.
    receiver.setSecret(previous)
    stack = await startProcessStack({ WEBHOOK_URL: receiver.url, WEBHOOK_SECRET: `${current} ${previous}`, WEBHOOK_EVENTS: 'message.received,otp.status' })
  })
  after(async () => {
    await stack?.stop()
    await receiver?.stop()
  })

  it("gets every session's events of the types it asked for, and no others", async () => {
    await stack.linkSession('global-1', '6281100000005')
    const messageId = await stack.sim.injectText(CUSTOMER, '6281100000005', 'to the operator')
    const event = await receiver.waitFor(r => r.find(e => e.data.messageId === messageId), 'message.received on the global webhook')
    assert.deepEqual([event.type, event.data.sessionId, event.data.text], ['message.received', 'global-1', 'to the operator'])
    // The session's status events came first in its stream; filtered out, none arrived.
    assert.deepEqual(
      receiver.state.verified.map(e => e.type),
      ['message.received']
    )
    assert.equal(receiver.state.refused, 0)
  })
})
