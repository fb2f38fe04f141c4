import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { proto } from '@whiskeysockets/baileys'
import type { WAMessage } from '@whiskeysockets/baileys'
import { NOT_ON_WHATSAPP_ACK_ERROR, WaSim } from './wa-sim.ts'
import type { SentMessage } from './wa-sim.ts'
import { BaileysDriver } from './testing/baileys-driver.ts'

const ACCOUNT = '15550001111'
const ALICE = '15550002222'
const ALICE_JID = `${ALICE}@s.whatsapp.net`

const textOf = (message: proto.IMessage | null | undefined): string | undefined => message?.extendedTextMessage?.text ?? message?.conversation ?? undefined

const copyFor = (sent: SentMessage, user: string) => sent.decrypted.find(copy => copy.jid.startsWith(`${user}@`) || copy.jid.startsWith(`${user}:`))

/** Baileys may merge a receipt into its buffered upsert instead of emitting an update. */
const highestStatus = (driver: BaileysDriver, id: string): number => {
  const upserts = (driver.events['messages.upsert'] ?? []).flatMap(u => u.messages).filter(m => m.key.id === id)
  const updates = (driver.events['messages.update'] ?? []).flat().filter(u => u.key.id === id)
  return Math.max(0, ...upserts.map(m => m.status ?? 0), ...updates.map(u => u.update.status ?? 0))
}

const errorStub = (driver: BaileysDriver, id: string): string[] | undefined => {
  const upserts = (driver.events['messages.upsert'] ?? []).flatMap(u => u.messages).filter(m => m.key.id === id)
  const updates = (driver.events['messages.update'] ?? [])
    .flat()
    .filter(u => u.key.id === id)
    .map(u => u.update)
  return [...upserts, ...updates].find(m => m.status === proto.WebMessageInfo.Status.ERROR)?.messageStubParameters ?? undefined
}

describe('messaging through the emulator', () => {
  const sim = new WaSim()
  let driver: BaileysDriver
  before(async () => {
    const url = await sim.start()
    sim.addContact(ALICE, { pushName: 'Alice' })
    driver = new BaileysDriver({ url, sim, scanAs: ACCOUNT, reconnect: true }).start()
    await driver.waitOpen()
  })
  after(async () => {
    await driver.stop()
    await sim.stop()
  })

  it('delivers a text that the recipient decrypts exactly, with a copy the own phone decrypts', async () => {
    const text = 'Your code is 482913'
    const sentByBaileys = await driver.socket.sendMessage(ALICE_JID, { text })
    const sent = await sim.waitForSent(m => m.id === sentByBaileys?.key.id)
    const alice = copyFor(sent, ALICE)
    assert.equal(textOf(alice?.message), text)
    assert.equal(alice?.encType, 'pkmsg')
    const own = copyFor(sent, ACCOUNT)
    assert.equal(textOf(own?.message?.deviceSentMessage?.message), text)
    assert.equal(own?.message?.deviceSentMessage?.destinationJid, ALICE_JID)
    assert.deepEqual(sent.failures, [])
  })

  it('uses the established session (msg) once the recipient has answered, and a prekey message again after a reconnect', async () => {
    const replyId = await sim.injectText(ALICE, ACCOUNT, 'thanks')
    await driver.waitUntil(() => inbound(driver, replyId), 'reply from the recipient')
    const second = await driver.socket.sendMessage(ALICE_JID, { text: 'second' })
    const sentSecond = await sim.waitForSent(m => m.id === second?.key.id)
    assert.equal(copyFor(sentSecond, ALICE)?.encType, 'msg')
    assert.equal(textOf(copyFor(sentSecond, ALICE)?.message), 'second')

    sim.dropAll()
    await driver.waitOpen(2)
    const third = await driver.socket.sendMessage(ALICE_JID, { text: 'after reconnect' })
    const sentThird = await sim.waitForSent(m => m.id === third?.key.id)
    assert.equal(copyFor(sentThird, ALICE)?.encType, 'pkmsg')
    assert.equal(textOf(copyFor(sentThird, ALICE)?.message), 'after reconnect')
  })

  it('turns the recipient phone receipts into delivered and read statuses', async () => {
    const message = await driver.socket.sendMessage(ALICE_JID, { text: 'receipts please' })
    const id = message!.key.id!
    const sent = await sim.waitForSent(m => m.id === id)
    sim.sendReceipt(sent, 'delivery')
    await driver.waitUntil(() => highestStatus(driver, id) >= proto.WebMessageInfo.Status.DELIVERY_ACK || undefined, 'delivery status')
    sim.sendReceipt(sent, 'read')
    await driver.waitUntil(() => highestStatus(driver, id) >= proto.WebMessageInfo.Status.READ || undefined, 'read status')
  })

  it('hands an inbound message from a phone number to Baileys as messages.upsert', async () => {
    const id = await sim.injectText(ALICE, ACCOUNT, 'hello by number')
    const message = await driver.waitUntil(() => inbound(driver, id), 'inbound PN message')
    assert.equal(textOf(message.message), 'hello by number')
    assert.equal(message.key.fromMe, false)
    assert.equal(message.pushName, 'Alice')
    assert.equal(message.key.remoteJid, ALICE_JID)
  })

  it('hands an inbound LID-addressed message to Baileys with the sender number beside it', async () => {
    const alice = sim.directory.contact(ALICE)!
    const id = await sim.injectText(ALICE, ACCOUNT, 'hello by LID', { addressing: 'lid' })
    const message = await driver.waitUntil(() => inbound(driver, id), 'inbound LID message')
    assert.equal(textOf(message.message), 'hello by LID')
    assert.equal(message.key.remoteJid, `${alice.lid}@lid`)
    assert.equal(message.key.remoteJidAlt, ALICE_JID)
  })

  it('hands an inbound message addressed by LID alone to Baileys with no number beside it', async () => {
    const bob = sim.addContact('15550003333', { pushName: 'Bob' })
    const id = await sim.injectText(bob.pn, ACCOUNT, 'hello by LID only', { addressing: 'lid-only' })
    const message = await driver.waitUntil(() => inbound(driver, id), 'inbound LID-only message')
    assert.equal(textOf(message.message), 'hello by LID only')
    assert.equal(message.key.remoteJid, `${bob.lid}@lid`)
    assert.equal(message.key.remoteJidAlt, undefined)
  })

  it('reports a number that is not on WhatsApp, and a send to it fails cleanly', async () => {
    sim.setNotOnWhatsApp('15550009999')
    const [known] = (await driver.socket.onWhatsApp(ALICE)) ?? []
    assert.equal(known?.exists, true)
    const unknown = (await driver.socket.onWhatsApp('15550009999')) ?? []
    assert.equal(unknown.find(r => r.jid.startsWith('15550009999'))?.exists ?? false, false)
    const message = await driver.socket.sendMessage('15550009999@s.whatsapp.net', { text: 'nobody home' })
    const id = message!.key.id!
    const sent = await sim.waitForSent(m => m.id === id)
    assert.deepEqual(sent.decrypted, [])
    // Baileys merges the ack's error into its still-buffered upsert, or emits it as an update.
    const failed = await driver.waitUntil(() => errorStub(driver, id), 'error status for the unreachable number')
    assert.deepEqual(failed, [NOT_ON_WHATSAPP_ACK_ERROR])
  })
})

const inbound = (driver: BaileysDriver, id: string): WAMessage | undefined =>
  (driver.events['messages.upsert'] ?? []).flatMap(u => (u.type === 'notify' ? u.messages : [])).find(m => m.key.id === id)
