import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { S_WHATSAPP_NET } from '@whiskeysockets/baileys'
import { WaSim } from './wa-sim.ts'
import type { QrRefreshChild } from './server-2026-stanzas.ts'
import { BaileysDriver } from './testing/baileys-driver.ts'

const QR_SHAPE = /^https:\/\/wa\.me\/settings\/linked_devices#[^,]+,[^,]+,[^,]+,[^,]+,\d+$/
const fields = (qr: string) => {
  const [ref, noise, identity, adv, platform] = qr.split('#')[1]!.split(',')
  return { ref, noise, identity, adv, platform }
}

describe('linking a Baileys client to the late-2026 emulator', () => {
  const sims: Partial<Record<QrRefreshChild, WaSim>> = {}
  const urls: Partial<Record<QrRefreshChild, string>> = {}
  before(async () => {
    for (const child of ['companion_reg_refresh', 'pair-device-rotate-qr'] as const) {
      sims[child] = new WaSim({ qrRefreshChild: child, ackTimeoutMs: 1_500 })
      urls[child] = await sims[child].start()
    }
  })
  after(async () => {
    for (const sim of Object.values(sims)) await sim.stop()
  })
  const sim = () => sims.companion_reg_refresh!
  const url = () => urls.companion_reg_refresh!

  for (const child of ['companion_reg_refresh', 'pair-device-rotate-qr'] as const) {
    it(`links by QR only after the ADV secret is refreshed (<${child}/>): same ref, new secret, then 515 and open`, async () => {
      const refreshes: { acked: boolean }[] = []
      sims[child]!.on('qr-refresh', event => refreshes.push(event))
      const driver = new BaileysDriver({
        url: urls[child]!,
        sim: sims[child]!,
        scanAs: child === 'companion_reg_refresh' ? '15550001111' : '15550001112'
      }).start()
      try {
        await driver.waitOpen()
        assert.deepEqual(refreshes, [{ acked: true }])
        const [first, refreshed] = driver.qrs
        assert.match(first!, QR_SHAPE)
        assert.match(refreshed!, QR_SHAPE)
        assert.equal(fields(refreshed!).ref, fields(first!).ref)
        assert.equal(fields(refreshed!).noise, fields(first!).noise)
        assert.equal(fields(refreshed!).identity, fields(first!).identity)
        assert.notEqual(fields(refreshed!).adv, fields(first!).adv)
        assert.equal(Buffer.from(fields(refreshed!).adv!, 'base64').length, 32)
        assert.deepEqual(driver.closeCodes, [515])
        assert.ok(driver.count('connection.update', u => u.isNewLogin === true) >= 1)
      } finally {
        await driver.stop()
      }
    })
  }

  it("refuses a QR that still carries the retired secret, and QR keys that are not the registering connection's", async () => {
    const driver = new BaileysDriver({ url: url(), sim: sim() }).start()
    try {
      const qr = await driver.waitUntil(() => driver.qrs[0], 'first QR')
      const { ref, identity, adv, platform } = fields(qr)
      const forged = `https://wa.me/settings/linked_devices#${[ref, Buffer.alloc(32, 7).toString('base64'), identity, adv, platform].join(',')}`
      await assert.rejects(sim().scanQr(forged, { accountPn: '15550005555' }), /do not match/)
      await assert.rejects(sim().scanQr(qr.replace(ref!, '2@unknownref'), { accountPn: '15550005555' }), /unknown or expired/)

      assert.deepEqual(await sim().scanQr(qr, { accountPn: '15550005555' }), { kind: 'refresh-requested' })
      await assert.rejects(sim().scanQr(qr, { accountPn: '15550005555' }), { name: 'LinkRefusedError', message: /retired/ })
      assert.equal(sim().directory.account('15550005555')?.devices.size ?? 0, 0)
      const refreshed = await driver.waitUntil(() => driver.qrs[1], 'the refreshed QR')
      const outcome = await sim().scanQr(refreshed, { accountPn: '15550005555' })
      assert.equal(outcome.kind, 'linked')
      await driver.waitOpen()
    } finally {
      await driver.stop()
    }
  })

  it('never links a client that ignores companion_reg_refresh (Baileys as published): it keeps showing the retired secret', async () => {
    const driver = new BaileysDriver({ url: url(), sim: sim(), handlers: 'none' }).start()
    try {
      const qr = await driver.waitUntil(() => driver.qrs[0], 'first QR')
      assert.deepEqual(await sim().scanQr(qr, { accountPn: '15550006666' }), { kind: 'refresh-requested' })
      await new Promise(resolve => setTimeout(resolve, 300))
      assert.equal(driver.qrs.length, 1, 'rc14 shows no refreshed QR')
      await assert.rejects(sim().scanQr(driver.qrs.at(-1)!, { accountPn: '15550006666' }), { name: 'LinkRefusedError', message: /retired/ })
      assert.equal(
        driver.count('connection.update', u => u.connection === 'open'),
        0
      )
    } finally {
      await driver.stop()
    }
  })

  it('links by pairing code past the frames that are not a primary hello, and refuses a wrong code', async () => {
    const acks: string[] = []
    const onNode = (node: { tag: string; attrs: Record<string, string> }) => {
      if (node.tag === 'ack' && node.attrs.class === 'notification' && node.attrs.type === 'link_code_companion_reg') acks.push(node.attrs.id!)
    }
    sim().on('node', onNode)
    const driver = new BaileysDriver({ url: url(), sim: sim() }).start()
    const wrongDriver = new BaileysDriver({ url: url(), sim: sim() }).start()
    try {
      await driver.waitUntil(() => driver.qrs[0], 'first QR')
      // Baileys' own request: its default browser's display, `Chrome (Mac OS)`, is one the server accepts.
      const code = await driver.socket.requestPairingCode('15550003333')
      assert.match(code, /^[1-9A-HJ-NP-TV-Z]{8}$/)
      const outcome = await sim().enterPairingCode('15550003333', code)
      assert.equal(outcome.kind === 'linked' && outcome.link.deviceId, 1)
      await driver.waitOpen()
      assert.equal(driver.auth.creds.me?.id, '15550003333:1@s.whatsapp.net')
      assert.equal(driver.auth.creds.registered, true)
      assert.equal(acks.length, 4, 'three refresh frames and the primary hello were acked')

      await wrongDriver.waitUntil(() => wrongDriver.qrs[0], 'first QR')
      const right = await wrongDriver.socket.requestPairingCode('15550004444')
      const wrong = right.startsWith('A') ? `B${right.slice(1)}` : `A${right.slice(1)}`
      await assert.rejects(sim().enterPairingCode('15550004444', wrong), { name: 'WrongPairingCodeError' })
      assert.equal(sim().directory.account('15550004444')?.devices.size ?? 0, 0)
      assert.equal(
        wrongDriver.count('connection.update', u => u.connection === 'open'),
        0
      )
    } finally {
      sim().off('node', onNode)
      await driver.stop()
      await wrongDriver.stop()
    }
  })

  it('answers companion_hello with 400 bad-request for a display that is not `Browser (OS)`, or for platform id 0', async () => {
    // rc14 puts browser[0] in the display: a product name there makes it `Chrome (Acme OTP)`.
    const driver = new BaileysDriver({ url: url(), sim: sim(), socket: { browser: ['Acme OTP', 'Chrome', '1.0'] } }).start()
    try {
      await driver.waitUntil(() => driver.qrs[0], 'first QR')
      const refused = new Promise<{ phoneNumber: string; code: number; reason: string }>(resolve => sim().once('pairing-code-refused', resolve))
      // rc14 does not wait for the answer: it returns a code the server never registered.
      await driver.socket.requestPairingCode('15550007777')
      const refusal = await refused
      assert.equal(refusal.phoneNumber, '15550007777')
      assert.equal(refusal.code, 400)
      assert.match(refusal.reason, /Chrome \(Acme OTP\).*real OS/)
      await assert.rejects(sim().enterPairingCode('15550007777', 'ABCDEFGH'), { name: 'LinkRefusedError', message: /companion_hello refused with 400/ })

      const hello = (platformId: string) => ({
        tag: 'iq',
        attrs: { to: S_WHATSAPP_NET, type: 'set', xmlns: 'md' },
        content: [
          {
            tag: 'link_code_companion_reg',
            attrs: { jid: '15550007778@s.whatsapp.net', stage: 'companion_hello', should_show_push_notification: 'true' },
            content: [
              { tag: 'link_code_pairing_wrapped_companion_ephemeral_pub', attrs: {}, content: Buffer.alloc(80, 1) },
              { tag: 'companion_server_auth_key_pub', attrs: {}, content: driver.auth.creds.noiseKey.public },
              { tag: 'companion_platform_id', attrs: {}, content: platformId },
              { tag: 'companion_platform_display', attrs: {}, content: 'Chrome (Linux)' },
              { tag: 'link_code_pairing_nonce', attrs: {}, content: '0' }
            ]
          }
        ]
      })
      await assert.rejects(driver.socket.query(hello('0')), { message: 'bad-request', data: 400 })
      assert.ok(await driver.socket.query(hello('1')))
    } finally {
      await driver.stop()
    }
  })
})

describe("linking on the spring-2026 server (kept for the emulator's own tests)", () => {
  const sim = new WaSim({ server: 'spring-2026' })
  let url: string
  before(async () => {
    url = await sim.start()
  })
  after(() => sim.stop())

  it('links Baileys as published with one scan, and takes a pairing code whatever its display', async () => {
    const driver = new BaileysDriver({ url, sim, scanAs: '15550008888', handlers: 'none' }).start()
    const coded = new BaileysDriver({ url, sim, handlers: 'none', socket: { browser: ['Acme OTP', 'Chrome', '1.0'] } }).start()
    try {
      await driver.waitOpen()
      assert.equal(driver.qrs.length, 1)
      await coded.waitUntil(() => coded.qrs[0], 'first QR')
      const code = await coded.socket.requestPairingCode('15550009999')
      assert.equal((await sim.enterPairingCode('15550009999', code)).kind, 'linked')
      await coded.waitOpen()
    } finally {
      await driver.stop()
      await coded.stop()
    }
  })

  it('delivers no top-level <status> stanzas', async () => {
    await assert.rejects(sim.postStatus('15550002222', '15550008888', 'hi'), /late-2026/)
  })
})
