import { after, afterEach, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Curve, WA_CERT_DETAILS } from '@whiskeysockets/baileys'
import pino from 'pino'
import { Sandbox } from '../sandbox/sandbox.ts'
import { SharedSandbox } from '../sandbox/shared-sandbox.ts'
import { WaSim } from '../sim/wa-sim.ts'
import { BaileysDriver } from '../sim/testing/baileys-driver.ts'
import { verifyXEdDSA } from '../sim/xeddsa.ts'
import { trustNoiseRoot, WHATSAPP_NOISE_ROOT } from './noise-root.ts'

/**
 * The pinned Baileys' `Curve.verify` answers true for any signature (wa-sim PROTOCOL.md §1). These
 * tests replace it with one that verifies, as a fixed Baileys would, so that the emulator's chain
 * passes only when the process trusts the emulator's root.
 */
const lenient = Curve.verify
const restoreRoot = () => trustNoiseRoot(WHATSAPP_NOISE_ROOT)
/** A sandbox keeping its state in `dir`. */
const sandboxIn = (dir: string) =>
  new Sandbox(pino({ level: 'silent' }), { stateFile: join(dir, 'state.json'), receipts: { deliveredAfterMs: 0, readAfterMs: 0 }, sentLimit: 10 })

describe('the noise root a host trusts', () => {
  const sim = new WaSim()
  let url: string
  before(async () => {
    url = await sim.start()
    Curve.verify = (publicKey, message, signature) => verifyXEdDSA(publicKey, message, signature)
  })
  afterEach(restoreRoot)
  after(async () => {
    Curve.verify = lenient
    await sim.stop()
  })

  it("is WhatsApp's by default, so a verifying Baileys refuses the emulator's chain", async () => {
    assert.deepEqual(Buffer.from(WA_CERT_DETAILS.PUBLIC_KEY), WHATSAPP_NOISE_ROOT)
    const driver = new BaileysDriver({ url, sim, scanAs: '15550030001' }).start()
    try {
      await driver.waitClosed(400)
      assert.equal(
        driver.count('connection.update', update => update.connection === 'open'),
        0
      )
    } finally {
      await driver.stop()
    }
  })

  it("is the emulator's once trusted: a verifying Baileys links and opens", async () => {
    trustNoiseRoot(sim.certRoot)
    const driver = new BaileysDriver({ url, sim, scanAs: '15550030002' }).start()
    try {
      await driver.waitOpen()
      assert.deepEqual(driver.closeCodes, [515])
    } finally {
      await driver.stop()
    }
  })

  it('takes only a key of the root key size', () => {
    assert.throws(() => trustNoiseRoot(Buffer.alloc(33)), /32 bytes, not 33/)
    assert.deepEqual(Buffer.from(WA_CERT_DETAILS.PUBLIC_KEY), WHATSAPP_NOISE_ROOT)
  })

  it("is the sandbox emulator's in sandbox mode, and the sandbox tells a fleet's other hosts which it is", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'noise-root-'))
    const sandbox = sandboxIn(dir)
    try {
      await sandbox.start()
      assert.deepEqual(Buffer.from(WA_CERT_DETAILS.PUBLIC_KEY), sandbox.sim.certRoot)
      assert.equal(sandbox.emulator().noiseRootKey, sandbox.sim.certRoot.toString('hex'))
    } finally {
      await sandbox.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it("is the home host's emulator's in a sandbox fleet, and stays WhatsApp's when an older home names none", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'noise-root-home-'))
    const home = sandboxIn(dir)
    let answer: Record<string, unknown> = {}
    const server = createServer((_request, response) => {
      response.setHeader('content-type', 'application/json')
      response.end(JSON.stringify({ success: true, message: 'emulator', data: answer }))
    })
    await new Promise<void>(listening => server.listen(0, '127.0.0.1', listening))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    try {
      await home.start()
      const { noiseRootKey, ...older } = home.emulator()
      restoreRoot()
      answer = older
      const fromOlderHome = new SharedSandbox(url, 'x'.repeat(32), pino({ level: 'silent' }))
      await fromOlderHome.start()
      assert.deepEqual(Buffer.from(WA_CERT_DETAILS.PUBLIC_KEY), WHATSAPP_NOISE_ROOT)
      await fromOlderHome.stop()
      answer = { ...older, noiseRootKey }
      const member = new SharedSandbox(url, 'x'.repeat(32), pino({ level: 'silent' }))
      await member.start()
      assert.deepEqual(Buffer.from(WA_CERT_DETAILS.PUBLIC_KEY), home.sim.certRoot)
      await member.stop()
    } finally {
      await home.stop()
      server.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
