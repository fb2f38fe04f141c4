import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { SentMessage } from '../../session-host/sim/index.ts'
import { startProcessStack } from '../support/process-stack.ts'
import type { ProcessStack } from '../support/process-stack.ts'
import { until } from '../support/until.ts'
import { startWebhookReceiver } from '../support/webhook-receiver.ts'

const ACCOUNT = '6281300000001'
const BURST = 200
const CLIENTS = 8
const recipient = (i: number) => `62813555000${i % 5}`
const textOf = (i: number) => `burst message ${i}`

/** What the recipient's phone shows: the text of its copy of a message. */
const shownText = (sent: SentMessage): string | undefined => {
  const copy = sent.decrypted.find(d => d.jid.startsWith(`${sent.to.split('@')[0]}:`) || d.jid.startsWith(`${sent.to.split('@')[0]}@`))
  return copy?.message.extendedTextMessage?.text ?? copy?.message.conversation ?? undefined
}

/**
 * The host process is killed with SIGKILL while 200 sends and their webhook deliveries are under
 * way, and started again on the same data folder. Clients retry what failed with the same
 * Idempotency-Key, as the API tells them to.
 */
describe('a host killed in the middle of a burst', () => {
  let stack: ProcessStack
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>

  before(async () => {
    // A burst to new numbers: the send governor would pace it, so it is off here.
    stack = await startProcessStack({ WEBHOOK_RETRY_DELAYS_MS: '50,100,200', SEND_GOVERNOR: 'off' })
    receiver = await startWebhookReceiver()
    // Down until it learns its secret from the create answer.
    receiver.state.down = true
    const created = (await stack.linkSession('burst', ACCOUNT, { webhook: { url: receiver.url } })) as { webhook: { secret: string } }
    receiver.setSecret(created.webhook.secret)
    receiver.state.down = false
    // A slow receiver, so deliveries are still in flight when the host dies.
    receiver.state.delayMs = 15
  })
  after(async () => {
    await stack?.stop()
    await receiver?.stop()
  })

  it('sends every message to the recipient exactly once and delivers every event at least once', async t => {
    const accepted = new Map<number, string>()
    let failedAttempts = 0
    const sendWithRetries = async (i: number) => {
      for (let attempt = 0; attempt < 600; attempt++) {
        const response = await stack
          .call('POST', '/api/messages/burst/text', { body: { to: recipient(i), text: textOf(i) }, headers: { 'idempotency-key': `burst-${i}` } })
          .catch(() => undefined)
        if (response && (response.status === 200 || response.status === 201)) return accepted.set(i, (response.body.data as { messageId: string }).messageId)
        failedAttempts++
        await new Promise(resolve => setTimeout(resolve, 100))
      }
      throw new Error(`message ${i} was never accepted`)
    }
    let next = 0
    const clients = Array.from({ length: CLIENTS }, async () => {
      while (next < BURST) await sendWithRetries(next++)
    })

    const oldPid = stack.processes.pid('host')
    const atKill = await until(
      async () => {
        const sent = stack.sim.sent.filter(m => m.accountPn === ACCOUNT).length
        const events = receiver.state.verified.filter(e => e.type === 'message.status').length
        return sent >= 50 && events >= 1 ? { sent, events, accepted: accepted.size } : undefined
      },
      'the burst under way',
      { everyMs: 5 }
    )
    await stack.processes.killHost('SIGKILL')
    assert.ok(atKill.sent < BURST && atKill.accepted < BURST, `the host died mid-burst (${JSON.stringify(atKill)})`)
    await stack.processes.startHost()
    assert.notEqual(stack.processes.pid('host'), oldPid)
    await Promise.all(clients)
    assert.equal(accepted.size, BURST)
    assert.ok(failedAttempts > 0, 'some requests met the dead host and were retried')

    // Every accepted message reaches its recipient: one message id per request, and one copy of it.
    const ids = [...accepted.values()]
    assert.equal(new Set(ids).size, BURST)
    await until(async () => (ids.every(id => stack.sim.sent.some(m => m.id === id && !m.duplicate)) ? true : undefined), 'all 200 at the recipient', {
      timeoutMs: 120_000
    })
    for (let i = 0; i < BURST; i++) {
      const copies = stack.sim.sent.filter(m => m.accountPn === ACCOUNT && shownText(m) === textOf(i))
      assert.deepEqual([...new Set(copies.map(m => m.id))], [accepted.get(i)], `message ${i} went out under one id`)
      assert.equal(copies.filter(m => !m.duplicate && !m.refusedWith).length, 1, `message ${i} shown once`)
    }

    // Every event the host recorded for the receiver's endpoint arrives, duplicates only under one id.
    const pending = () =>
      stack.query<{ n: number }>(`SELECT count(*) AS n FROM webhook_deliveries WHERE session_id = 'burst' AND status <> 'delivered'`)[0]?.n ?? -1
    await until(async () => (pending() === 0 ? true : undefined), 'every webhook delivered', { timeoutMs: 120_000 })
    const recorded = stack.query<{ id: string; type: string; payload: string }>(
      `SELECT id, type, payload FROM webhook_events WHERE session_id = 'burst' AND id IN (SELECT event_id FROM webhook_deliveries)`
    )
    const received = new Map<string, string>()
    for (const event of receiver.state.verified) {
      const body = JSON.stringify([event.type, event.data])
      assert.equal(received.get(event.id) ?? body, body, `redelivery of ${event.id} carries the same event`)
      received.set(event.id, body)
    }
    for (const event of recorded) assert.ok(received.has(event.id), `${event.type} ${event.id} delivered`)
    const sentEvents = receiver.state.verified.filter(e => e.type === 'message.status' && e.data.status === 'sent')
    for (const id of ids) assert.equal(new Set(sentEvents.filter(e => e.data.messageId === id).map(e => e.id)).size, 1, `one sent event for ${id}`)
    assert.equal(receiver.state.refused, 0)
    const resent = stack.sim.sent.filter(m => m.accountPn === ACCOUNT && m.duplicate).length
    t.diagnostic(
      `at the kill: ${JSON.stringify(atKill)}; resent under the same id: ${resent}; events ${recorded.length}, deliveries received ${receiver.state.verified.length}; failed client attempts ${failedAttempts}`
    )
  })
})
