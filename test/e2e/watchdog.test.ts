import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { BinaryNode } from '@whiskeysockets/baileys'
import type { Connection } from '../../session-host/sim/connection.ts'
import { METRICS_TOKEN, startInProcessStack } from '../support/in-process-stack.ts'
import { readMetrics } from '../support/prometheus-text.ts'
import type { ReceivedWebhook } from '../support/webhook-receiver.ts'
import { startWebhookReceiver } from '../support/webhook-receiver.ts'
import { until } from '../support/until.ts'

type Stack = Awaited<ReturnType<typeof startInProcessStack>>
type Message = { messageId: string; status: string }

const ACCOUNT = '6281300000300'

/**
 * The liveness watchdog, through gateway, host and real Baileys on the emulator: a session whose
 * socket still answers keep-alive pings but nothing else is closed and reconnected, with a
 * `session.status` that says why, and what it was sending arrives once; a healthy idle session is
 * left alone. The timeouts are short, set as an operator would.
 */
describe('liveness watchdog', () => {
  let stack: Stack
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>
  let admin: string
  /** Each probe the emulator answered for the account, with the socket it came on. */
  const probes: Connection[] = []
  const onNode = (node: BinaryNode, connection: Connection) => {
    const first = Array.isArray(node.content) ? node.content[0] : undefined
    if (node.attrs.xmlns === 'encrypt' && node.attrs.type === 'get' && first?.tag === 'count' && connection.device?.account.pn === ACCOUNT)
      probes.push(connection)
  }

  const post = (path: string, body: unknown) => stack.call('POST', path, { token: admin, body })
  const statusOf = async (messageId: string) => ((await stack.call('GET', `/api/messages/wd/${messageId}`, { token: admin })).body.data as Message).status
  /** The session.status events from index `from` on, as [status, reason, closeCode]. */
  const statuses = (from: number) =>
    receiver.state.verified
      .slice(from)
      .flatMap((e: ReceivedWebhook) => (e.type === 'session.status' ? [[e.data.status, e.data.reason, e.data.closeCode ?? null]] : []))
  const reconnectedAfter = (from: number) =>
    receiver.waitFor(() => {
      const seen = statuses(from)
      const tripped = seen.findIndex(([status, reason]) => status === 'disconnected' && reason === 'unresponsive')
      return tripped >= 0 && seen.slice(tripped).some(([status]) => status === 'connected') ? seen : undefined
    }, 'a disconnect for unresponsiveness, then connected')

  before(async () => {
    // ACK_TIMEOUT_MS above the watchdog's timeout, as their defaults are (60 s and 30 s); 0408 is never acked.
    stack = await startInProcessStack({
      watchdog: { timeoutMs: '1500', probeMs: '500' },
      keepAliveIntervalMs: 300,
      magicNumbers: true,
      hostEnv: { ACK_TIMEOUT_MS: '4000', SEND_GOVERNOR: 'off' }
    })
    stack.sim.on('node', onNode)
    receiver = await startWebhookReceiver()
    admin = await stack.token('admin')
    const created = (await stack.linkSession('wd', ACCOUNT, { webhook: { url: receiver.url, events: ['session.status'] } })) as { webhook: { secret: string } }
    receiver.setSecret(created.webhook.secret)
    await receiver.waitFor(r => r.find(e => e.data.status === 'connected'), 'session.status connected')
  })
  after(async () => {
    stack?.sim.off('node', onNode)
    await stack?.stop()
    await receiver?.stop()
  })

  it('leaves a healthy idle session alone for several probe periods', async () => {
    const from = receiver.state.verified.length
    const before = probes.length
    await until(async () => (probes.length >= before + 4 ? true : undefined), 'four probes answered')
    // All four on one socket: none was closed in between.
    assert.equal(new Set(probes.slice(before)).size, 1)
    assert.deepEqual(statuses(from), [])
    assert.equal(((await stack.call('GET', '/api/sessions/wd/status', { token: admin })).body.data as { status: string }).status, 'connected')
  })

  /** wagw_watchdog_restarts_total for the session, as a Prometheus scraper reads it. */
  const restarts = async () => {
    const response = await stack.gateway.request('/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
    return readMetrics(await response.text()).value('wagw_watchdog_restarts_total', { session: 'wd' })
  }

  it('closes and reconnects an idle session whose probe goes unanswered, says why in session.status, and counts it', async () => {
    const from = receiver.state.verified.length
    const counted = await restarts()
    stack.sim.halfDead(ACCOUNT)
    const seen = await reconnectedAfter(from)
    assert.equal(await restarts(), counted + 1)
    assert.deepEqual(seen.slice(0, 2), [
      ['disconnected', 'unresponsive', 408],
      ['connecting', null, null]
    ])
    assert.deepEqual(seen.at(-1), ['connected', null, null])
  })

  it('closes a session whose send gets no ack; the text reaches its recipient once after the reconnect', async () => {
    // The recipient's devices and Signal session are known first, so the next send goes straight out.
    const warm = (await post('/api/messages/wd/text', { to: '081300003001', text: 'first' })).body.data as Message
    await until(async () => ((await statusOf(warm.messageId)) === 'sent' ? true : undefined), 'the first text acked')

    const from = receiver.state.verified.length
    stack.sim.halfDead(ACCOUNT)
    const sent = await post('/api/messages/wd/text', { to: '081300003001', text: 'through the stuck socket' })
    assert.equal(sent.status, 200)
    const { messageId } = sent.body.data as Message
    await reconnectedAfter(from)
    const copy = await stack.sim.waitForSent(m => m.id === messageId)
    assert.equal(copy.decrypted.find(d => d.jid.startsWith('6281300003001'))?.message.extendedTextMessage?.text, 'through the stuck socket')
    // Acked now, so never sent again: the emulator's recipient got it once.
    await until(async () => ((await statusOf(messageId)) === 'sent' ? true : undefined), 'the text acked after the reconnect')
    assert.equal(stack.sim.sent.filter(m => m.id === messageId).length, 1)
  })

  it('leaves a session that answers its probe alone when one send is never acked, and fails that send not_acknowledged at ACK_TIMEOUT_MS', async () => {
    const from = receiver.state.verified.length
    const sent = await post('/api/messages/wd/text', { to: '081300000408', text: 'never acknowledged' })
    assert.equal(sent.status, 200)
    const { messageId } = sent.body.data as Message
    const failed = await until(
      async () => {
        const message = (await stack.call('GET', `/api/messages/wd/${messageId}`, { token: admin })).body.data as Message & { error: string | null }
        return message.status === 'failed' ? message : undefined
      },
      'the send failed',
      { timeoutMs: 15_000 }
    )
    assert.match(failed.error ?? '', /^not_acknowledged/)
    assert.deepEqual(statuses(from), [], 'the session was not reconnected meanwhile')
    assert.equal(stack.sim.sent.filter(m => m.id === messageId).length, 1, 'sent once, not again after reconnects')
  })
})
