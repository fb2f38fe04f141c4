import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { BinaryNode } from '@whiskeysockets/baileys'
import { until } from '../../test/support/until.ts'
import { WaSim } from './wa-sim.ts'
import { BaileysDriver } from './testing/baileys-driver.ts'

const ALICE = '15550002222'
const BUDGET_MS = 400

describe('status updates on the late-2026 server', () => {
  const sim = new WaSim({ statusAckBudgetMs: BUDGET_MS })
  let url: string
  before(async () => {
    url = await sim.start()
    sim.addContact(ALICE, { pushName: 'Alice' })
  })
  after(() => sim.stop())

  it('recycles the stream of a device that leaves a <status> un-acked past the budget, and redelivers it at every login', async () => {
    // Baileys as published links on this server only with the product's QR handler: link with
    // it, then log in with the same creds and no handler, which is what is under test here.
    const linked = new BaileysDriver({ url, sim, scanAs: '15550020001' }).start()
    await linked.waitOpen()
    await linked.stop()
    const driver = new BaileysDriver({ url, sim, auth: linked.auth, reconnect: true, handlers: 'none' }).start()
    try {
      await driver.waitOpen()
      const recycles: { statusId: string }[] = []
      const onRecycle = (event: { accountPn: string; statusId: string }) => event.accountPn === '15550020001' && recycles.push(event)
      sim.on('stream-recycled', onRecycle)
      const id = await sim.postStatus(ALICE, '15550020001', 'my holiday')
      await driver.waitUntil(() => recycles.length >= 2 || undefined, 'two recycled streams', 10_000)
      sim.off('stream-recycled', onRecycle)
      assert.deepEqual(
        recycles.slice(0, 2).map(r => r.statusId),
        [id, id]
      )
      // The server names the owed stanza in its stream error; rc14 reads that as a bad session (500).
      assert.ok(driver.closeCodes.filter(code => code === 500).length >= 2)
    } finally {
      await driver.stop()
    }
  })

  it('keeps the stream of a device that acks each <status> with class=status', async () => {
    const driver = new BaileysDriver({ url, sim, scanAs: '15550020002', reconnect: true }).start()
    try {
      await driver.waitOpen()
      const acks: BinaryNode[] = []
      const onNode = (node: BinaryNode) => node.tag === 'ack' && node.attrs.class === 'status' && acks.push(node)
      sim.on('node', onNode)
      let recycled = 0
      const onRecycle = () => recycled++
      sim.on('stream-recycled', onRecycle)
      const first = await sim.postStatus(ALICE, '15550020002', 'one')
      const second = await sim.postStatus(ALICE, '15550020002', 'two')
      await new Promise(resolve => setTimeout(resolve, BUDGET_MS * 3))
      sim.off('node', onNode)
      sim.off('stream-recycled', onRecycle)
      assert.equal(recycled, 0)
      assert.deepEqual(
        acks.map(a => a.attrs.id),
        [first, second]
      )
      assert.ok(acks.every(a => a.attrs.to === 'status@broadcast' && a.attrs.participant === `${ALICE}@s.whatsapp.net`))
      assert.equal(sim.directory.account('15550020002')?.devices.get(1)?.pendingStatuses.size, 0)
      assert.deepEqual(driver.closeCodes, [515])
    } finally {
      await driver.stop()
    }
  })
})

describe('passkey-protected accounts on the late-2026 server', () => {
  const sim = new WaSim()
  let url: string
  before(async () => {
    url = await sim.start()
  })
  after(() => sim.stop())

  it('asks for the passkey step instead of linking, by QR and by pairing code, and the client acks the request', async () => {
    sim.addAccount('15550030001', { passkeyRequired: true })
    sim.addAccount('15550030002', { passkeyRequired: true })
    const acks: BinaryNode[] = []
    const onNode = (node: BinaryNode) => node.tag === 'ack' && node.attrs.type === 'passkey_prologue_request' && acks.push(node)
    sim.on('node', onNode)
    const byQr = new BaileysDriver({ url, sim }).start()
    const byCode = new BaileysDriver({ url, sim }).start()
    try {
      await assert.rejects(
        sim.linkWithQr(() => byQr.qrs.at(-1), { accountPn: '15550030001' }),
        { name: 'LinkRefusedError', message: /passkey/ }
      )
      await byCode.waitUntil(() => byCode.qrs[0], 'first QR')
      const code = await byCode.socket.requestPairingCode('15550030002')
      assert.deepEqual(await sim.enterPairingCode('15550030002', code), { kind: 'passkey-requested' })
      await until(async () => (acks.length >= 2 ? true : undefined), 'both passkey requests acked', { timeoutMs: 5_000 })
      assert.equal(sim.directory.account('15550030001')?.devices.size, 0)
      assert.equal(sim.directory.account('15550030002')?.devices.size, 0)
      assert.equal(byQr.count('connection.update', u => u.connection === 'open') + byCode.count('connection.update', u => u.connection === 'open'), 0)
    } finally {
      sim.off('node', onNode)
      await byQr.stop()
      await byCode.stop()
    }
  })
})
