import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { DisconnectReason, S_WHATSAPP_NET } from '@whiskeysockets/baileys'
import type { BinaryNode } from '@whiskeysockets/baileys'
import { WaSim } from './wa-sim.ts'
import { BaileysDriver } from './testing/baileys-driver.ts'

const ALICE = '15550002222'
const ALICE_JID = `${ALICE}@s.whatsapp.net`
const iq = (xmlns: string, child: string): BinaryNode => ({
  tag: 'iq',
  attrs: { to: S_WHATSAPP_NET, type: 'get', xmlns },
  content: [{ tag: child, attrs: {} }]
})

describe('faults the emulator can inject', () => {
  const sim = new WaSim()
  let url: string
  before(async () => {
    url = await sim.start()
    sim.addContact(ALICE)
  })
  after(() => sim.stop())

  const linked = async (accountPn: string, socket?: ConstructorParameters<typeof BaileysDriver>[0]['socket']) => {
    const driver = new BaileysDriver({ url, sim, scanAs: accountPn, reconnect: true, socket }).start()
    await driver.waitOpen()
    return driver
  }

  it('survives an abrupt socket drop: Baileys reconnects and the next text is decrypted', async () => {
    const driver = await linked('15550010001')
    try {
      sim.drop('15550010001')
      await driver.waitClosed(DisconnectReason.connectionClosed)
      await driver.waitOpen(2)
      const message = await driver.socket.sendMessage(ALICE_JID, { text: 'still here' })
      const sent = await sim.waitForSent(m => m.id === message?.key.id)
      assert.equal(sent.decrypted.find(c => c.jid.startsWith(ALICE))?.message.extendedTextMessage?.text, 'still here')
    } finally {
      await driver.stop()
    }
  })

  it('logs a device out: Baileys closes with 401, and its credentials no longer log in', async () => {
    const driver = await linked('15550010002')
    try {
      sim.logout('15550010002')
      await driver.waitClosed(DisconnectReason.loggedOut)
    } finally {
      await driver.stop()
    }
    const again = new BaileysDriver({ url, sim, auth: driver.auth }).start()
    try {
      await again.waitClosed(DisconnectReason.loggedOut)
      assert.equal(
        again.count('connection.update', u => u.connection === 'open'),
        0
      )
    } finally {
      await again.stop()
    }
  })

  it('replaces a session: Baileys closes with 440 (connection replaced) and does not retry', async () => {
    const driver = await linked('15550010003')
    try {
      sim.replaceSession('15550010003')
      await driver.waitClosed(DisconnectReason.connectionReplaced)
      assert.deepEqual(
        driver.closeCodes.filter(code => code !== DisconnectReason.restartRequired),
        [DisconnectReason.connectionReplaced]
      )
    } finally {
      await driver.stop()
    }
  })

  it('lets one connection per device live: a second login with the same credentials replaces the first (440)', async () => {
    const first = await linked('15550010005')
    const second = new BaileysDriver({ url, sim, auth: first.auth }).start()
    try {
      await second.waitOpen()
      await first.waitClosed(DisconnectReason.connectionReplaced)
      const message = await second.socket.sendMessage(ALICE_JID, { text: 'from the new host' })
      const sent = await sim.waitForSent(m => m.id === message?.key.id)
      assert.equal(sent.decrypted.find(c => c.jid.startsWith(ALICE))?.message.extendedTextMessage?.text, 'from the new host')
    } finally {
      await second.stop()
      await first.stop()
    }
  })

  it('refuses a query once: Baileys surfaces the error, and the same query then succeeds', async () => {
    const driver = await linked('15550010004')
    try {
      sim.refuseNextIq('usync/get', 500, 'internal-server-error')
      await assert.rejects(driver.socket.onWhatsApp(ALICE), (error: { output?: { statusCode?: number } }) => error.output?.statusCode === 500)
      const [result] = (await driver.socket.onWhatsApp(ALICE)) ?? []
      assert.equal(result?.exists, true)
    } finally {
      await driver.stop()
    }
  })

  it('answers keep-alive pings over a run longer than the interval, and a silent server gets dropped', async () => {
    const keepAliveIntervalMs = 700
    const pings: number[] = []
    const onNode = (node: { tag: string; attrs: Record<string, string> }) => {
      if (node.tag === 'iq' && node.attrs.xmlns === 'w:p') pings.push(Date.now())
    }
    sim.on('node', onNode)
    const driver = await linked('15550010005', { keepAliveIntervalMs })
    try {
      await new Promise(resolve => setTimeout(resolve, keepAliveIntervalMs * 4))
      assert.ok(pings.length >= 3, `expected at least 3 pings, saw ${pings.length}`)
      assert.deepEqual(driver.closeCodes, [DisconnectReason.restartRequired])
      sim.mute('15550010005')
      // Baileys gives up when nothing arrives for keepAliveIntervalMs + 5 s.
      await driver.waitClosed(DisconnectReason.connectionLost, 10_000)
    } finally {
      sim.off('node', onNode)
      await driver.stop()
    }
  })

  it('half-dead: pings are answered while sends, queries and inbound messages are lost; the next connection is healthy', async () => {
    const PN = '15550010006'
    const driver = await linked(PN, { keepAliveIntervalMs: 60_000 })
    try {
      // Alice's devices and Signal session are known first: a first send would wait on those queries.
      const first = await driver.socket.sendMessage(ALICE_JID, { text: 'hello' })
      await sim.waitForSent(m => m.id === first?.key.id)
      sim.halfDead(PN)
      const lost = await driver.socket.sendMessage(ALICE_JID, { text: 'into the void' })
      // The emulator reads a socket's stanzas in order: once the later ping is answered, the text was read and dropped.
      const pong = await driver.socket.query(iq('w:p', 'ping'))
      assert.equal(pong.attrs.type, 'result')
      assert.equal(
        sim.sent.some(m => m.id === lost?.key.id),
        false
      )
      assert.equal(await driver.socket.query(iq('encrypt', 'count'), 500).catch(() => undefined), undefined, 'no answer to other queries')

      const device = [...sim.directory.requireAccount(PN).devices.values()][0]!
      const waiting = device.offline.length
      await sim.injectText(ALICE, PN, 'while you were stuck')
      assert.equal(device.offline.length, waiting + 1, 'an inbound message waits for the next login')

      sim.drop(PN)
      await driver.waitOpen(2)
      await driver.waitUntil(
        () => driver.events['messages.upsert']?.some(u => u.messages.some(m => m.message?.conversation === 'while you were stuck')),
        'the inbound message after the reconnect'
      )
      const message = await driver.socket.sendMessage(ALICE_JID, { text: 'back again' })
      const sent = await sim.waitForSent(m => m.id === message?.key.id)
      assert.equal(sent.decrypted.find(c => c.jid.startsWith(ALICE))?.message.extendedTextMessage?.text, 'back again')
    } finally {
      await driver.stop()
    }
  })
})
