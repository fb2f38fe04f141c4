import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { WaSim } from './wa-sim.ts'
import { BaileysDriver } from './testing/baileys-driver.ts'

const SESSIONS = 20
const ALICE = '15550002222'

describe('one emulator serving many accounts', () => {
  const sim = new WaSim()
  const drivers: BaileysDriver[] = []
  let url: string
  before(async () => {
    url = await sim.start()
    sim.addContact(ALICE)
  })
  after(async () => {
    await Promise.all(drivers.map(d => d.stop()))
    await sim.stop()
  })

  it(`links ${SESSIONS} sessions concurrently and each one's text is decrypted by the recipient`, async () => {
    const accounts = Array.from({ length: SESSIONS }, (_, i) => `1555004${`${i}`.padStart(4, '0')}`)
    for (const accountPn of accounts) drivers.push(new BaileysDriver({ url, sim, scanAs: accountPn }).start())
    await Promise.all(drivers.map(d => d.waitOpen(1, 60_000)))
    const ids = await Promise.all(
      drivers.map(async (driver, i) => (await driver.socket.sendMessage(`${ALICE}@s.whatsapp.net`, { text: `hello from ${accounts[i]}` }))!.key.id!)
    )
    const sent = await Promise.all(ids.map(id => sim.waitForSent(m => m.id === id)))
    sent.forEach((message, i) => {
      assert.equal(message.accountPn, accounts[i])
      assert.equal(message.decrypted.find(c => c.jid.startsWith(ALICE))?.message.extendedTextMessage?.text, `hello from ${accounts[i]}`)
    })
    assert.equal(new Set(drivers.map(d => d.auth.creds.me?.id)).size, SESSIONS)
  })
})
