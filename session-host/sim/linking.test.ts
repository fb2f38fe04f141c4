import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { WaSim } from './wa-sim.ts'
import { BaileysDriver } from './testing/baileys-driver.ts'

const QR_SHAPE = /^https:\/\/wa\.me\/settings\/linked_devices#[^,]+,[^,]+,[^,]+,[^,]+,\d+$/

describe('linking a Baileys client to the emulator', () => {
  const sim = new WaSim()
  let url: string
  before(async () => {
    url = await sim.start()
  })
  after(() => sim.stop())

  it('links by QR: the phone scans, pairs, restarts the client with 515, and the client opens', async () => {
    const driver = new BaileysDriver({ url, sim, scanAs: '15550001111' }).start()
    try {
      await driver.waitOpen()
      const qrs = (driver.events['connection.update'] ?? []).flatMap(u => (u.qr ? [u.qr] : []))
      assert.ok(qrs.length >= 1)
      assert.match(qrs[0]!, QR_SHAPE)
      assert.deepEqual(driver.closeCodes, [515])
      const account = sim.directory.account('15550001111')!
      assert.equal(driver.auth.creds.me?.id, '15550001111:1@s.whatsapp.net')
      assert.equal(driver.auth.creds.me?.lid, `${account.lid}:1@lid`)
      assert.ok(driver.count('connection.update', u => u.isNewLogin === true) >= 1)
    } finally {
      await driver.stop()
    }
  })

  it('refuses a QR code whose keys are not those of the connection that registered', async () => {
    const driver = new BaileysDriver({ url, sim }).start()
    try {
      const qr = await driver.waitUntil(() => driver.events['connection.update']?.find(u => u.qr)?.qr, 'first QR')
      const [ref, , identity, adv, platform] = qr.split('#')[1]!.split(',')
      const forged = `https://wa.me/settings/linked_devices#${[ref, Buffer.alloc(32, 7).toString('base64'), identity, adv, platform].join(',')}`
      await assert.rejects(sim.scanQr(forged, { accountPn: '15550005555' }), /do not match/)
      await assert.rejects(sim.scanQr(qr.replace(ref!, '2@unknownref'), { accountPn: '15550005555' }), /unknown or expired/)
      assert.equal(sim.directory.account('15550005555'), undefined)
      await sim.scanQr(qr, { accountPn: '15550005555' })
      await driver.waitOpen()
    } finally {
      await driver.stop()
    }
  })

  it('links by pairing code: the phone enters the code the client requested, and the client opens', async () => {
    const driver = new BaileysDriver({ url, sim }).start()
    try {
      await driver.waitUntil(() => driver.count('connection.update', u => !!u.qr) > 0 || undefined, 'first QR')
      const code = await driver.socket.requestPairingCode('15550003333')
      assert.match(code, /^[1-9A-HJ-NP-TV-Z]{8}$/)
      const linked = await sim.enterPairingCode('15550003333', code)
      assert.equal(linked.deviceId, 1)
      await driver.waitOpen()
      assert.equal(driver.auth.creds.me?.id, '15550003333:1@s.whatsapp.net')
      assert.equal(driver.auth.creds.registered, true)
    } finally {
      await driver.stop()
    }
  })

  it('refuses a wrong pairing code and links nothing', async () => {
    const driver = new BaileysDriver({ url, sim }).start()
    try {
      await driver.waitUntil(() => driver.count('connection.update', u => !!u.qr) > 0 || undefined, 'first QR')
      const code = await driver.socket.requestPairingCode('15550004444')
      const wrong = code.startsWith('A') ? `B${code.slice(1)}` : `A${code.slice(1)}`
      await assert.rejects(sim.enterPairingCode('15550004444', wrong), { name: 'WrongPairingCodeError' })
      assert.equal(sim.directory.account('15550004444')?.devices.size ?? 0, 0)
      assert.equal(driver.count('connection.update', u => u.connection === 'open'), 0)
    } finally {
      await driver.stop()
    }
  })
})
