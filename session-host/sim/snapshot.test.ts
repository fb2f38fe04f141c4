import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { BufferJSON } from '@whiskeysockets/baileys'
import { WaSim } from './wa-sim.ts'
import type { DirectorySnapshot } from './directory.ts'
import { BaileysDriver } from './testing/baileys-driver.ts'

const ACCOUNT = '15550040001'
const ALICE = '15550040002'

describe("the emulator's lasting state and bounded history", () => {
  it("lets a linked device log in again on a new emulator given the old one's snapshot, and messages flow both ways", async () => {
    const first = new WaSim({ autoContacts: true })
    const driver = new BaileysDriver({ url: await first.start(), sim: first, scanAs: ACCOUNT }).start()
    await driver.waitOpen()
    await driver.stop()
    // What the sandbox writes to its data folder, through JSON.
    const saved = JSON.parse(JSON.stringify(first.snapshot(), BufferJSON.replacer), BufferJSON.reviver) as DirectorySnapshot
    await first.stop()

    const second = new WaSim({ autoContacts: true, state: saved })
    const again = new BaileysDriver({ url: await second.start(), sim: second, auth: driver.auth })
    let registrations = 0
    second.on('registration', () => registrations++)
    again.start()
    try {
      await again.waitOpen()
      assert.equal(registrations, 0, 'logged in, not registered anew')
      assert.deepEqual(second.linkedDevices(ACCOUNT), first.linkedDevices(ACCOUNT))
      const message = await again.socket.sendMessage(`${ALICE}@s.whatsapp.net`, { text: 'after the restart' })
      const sent = await second.waitForSent(m => m.id === message?.key.id)
      assert.equal(sent.decrypted.find(c => c.jid.startsWith(ALICE))?.message.extendedTextMessage?.text, 'after the restart')
      const inbound = await second.injectText(ALICE, ACCOUNT, 'welcome back')
      await again.waitUntil(() => again.events['messages.upsert']?.flatMap(u => u.messages).find(m => m.key.id === inbound), 'the inbound message')
    } finally {
      await again.stop()
      await second.stop()
    }
  })

  it('keeps only the latest sentLimit messages', async () => {
    const sim = new WaSim({ autoContacts: true, sentLimit: 3 })
    const driver = new BaileysDriver({ url: await sim.start(), sim, scanAs: '15550040003' }).start()
    try {
      await driver.waitOpen()
      const ids: string[] = []
      for (let i = 0; i < 5; i++) ids.push((await driver.socket.sendMessage(`${ALICE}@s.whatsapp.net`, { text: `message ${i}` }))!.key.id!)
      await sim.waitForSent(m => m.id === ids[4])
      assert.deepEqual(
        sim.sent.map(m => m.id),
        ids.slice(2)
      )
    } finally {
      await driver.stop()
      await sim.stop()
    }
  })
})
