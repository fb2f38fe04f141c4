import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { startProcessStack } from '../support/process-stack.ts'
import type { ProcessStack } from '../support/process-stack.ts'
import { until } from '../support/until.ts'
import { startWebhookReceiver } from '../support/webhook-receiver.ts'

const ACCOUNT = '6281100000021'
const ALICE = '6281199990011'
const BOB = '6281199990012'
const CAROL = '6281199990013'

describe('message.received for messages that come by LID alone, on the gateway and host as processes with real Baileys', () => {
  let stack: ProcessStack
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>
  before(async () => {
    stack = await startProcessStack()
    receiver = await startWebhookReceiver()
    const created = (await stack.linkSession('shop-lid', ACCOUNT, { webhook: { url: receiver.url, events: ['message.received'] } })) as {
      webhook: { secret: string }
    }
    receiver.setSecret(created.webhook.secret)
  })
  after(async () => {
    await stack?.stop()
    await receiver?.stop()
  })

  const received = (messageId: string) => receiver.waitFor(r => r.find(e => e.data.messageId === messageId), `message.received ${messageId}`)
  const lidOf = (pn: string) => stack.sim.directory.contact(pn)!.lid

  it("names the sender's number on a LID-only message once the contact wrote with both", async () => {
    const first = await received(await stack.sim.injectText(ALICE, ACCOUNT, 'hello, with my number'))
    assert.deepEqual([first.data.from, first.data.fromLid], [ALICE, lidOf(ALICE)])
    const event = await received(await stack.sim.injectText(ALICE, ACCOUNT, 'hello, by LID only', { addressing: 'lid-only' }))
    assert.deepEqual(
      [event.data.from, event.data.fromLid, event.data.fromJid, event.data.text],
      [ALICE, lidOf(ALICE), `${lidOf(ALICE)}@lid`, 'hello, by LID only']
    )
  })

  it('names the number of a contact the session wrote to first (WhatsApp told its LID in the usync answer)', async () => {
    const sent = await stack.call('POST', '/api/messages/shop-lid/text', { body: { to: `+${CAROL}`, text: 'your order shipped' } })
    assert.equal(sent.status, 200)
    await stack.sim.waitForSent(m => m.id === (sent.body.data as { messageId: string }).messageId)
    const event = await received(await stack.sim.injectText(CAROL, ACCOUNT, 'thanks', { addressing: 'lid-only' }))
    assert.deepEqual([event.data.from, event.data.fromLid], [CAROL, lidOf(CAROL)])
  })

  it('gives no number, never a wrong one, for a LID the session never learnt', async () => {
    const event = await received(await stack.sim.injectText(BOB, ACCOUNT, 'a stranger by LID', { addressing: 'lid-only' }))
    assert.deepEqual([event.data.from, event.data.fromLid, event.data.fromJid], [null, lidOf(BOB), `${lidOf(BOB)}@lid`])
  })

  it('still names the number after the host restarted: the mappings are in the database', async () => {
    await stack.processes.killHost('SIGKILL')
    await stack.processes.startHost()
    await until(async () => ((await stack.sessionStatus('shop-lid')) === 'connected' ? true : undefined), 'the session back after the restart', {
      timeoutMs: 30_000
    })
    const alice = await received(await stack.sim.injectText(ALICE, ACCOUNT, 'me again, by LID only', { addressing: 'lid-only' }))
    assert.equal(alice.data.from, ALICE)
    const carol = await received(await stack.sim.injectText(CAROL, ACCOUNT, 'me too', { addressing: 'lid-only' }))
    assert.equal(carol.data.from, CAROL)
    const bob = await received(await stack.sim.injectText(BOB, ACCOUNT, 'still a stranger', { addressing: 'lid-only' }))
    assert.equal(bob.data.from, null)
  })

  it('keeps what it learnt when the phone logs the device out and the account is linked again', async () => {
    const waitStatus = (status: string) =>
      until(async () => ((await stack.sessionStatus('shop-lid')) === status ? true : undefined), `shop-lid ${status}`, { timeoutMs: 30_000 })
    stack.sim.logout(ACCOUNT)
    await waitStatus('logged_out')
    assert.equal((await stack.call('PUT', '/api/sessions/shop-lid/restart')).status, 200)
    await stack.sim.linkWithQr(
      async () => {
        const response = await stack.call('GET', '/api/sessions/shop-lid/qr')
        return response.status === 200 ? (response.body.data as { qr: string }).qr : undefined
      },
      { accountPn: ACCOUNT }
    )
    await waitStatus('connected')
    // The new device's Baileys starts with an empty store: only the host's table knows Carol now.
    const carol = await received(await stack.sim.injectText(CAROL, ACCOUNT, 'after the relink', { addressing: 'lid-only' }))
    assert.deepEqual([carol.data.from, carol.data.fromLid], [CAROL, lidOf(CAROL)])
  })
})
