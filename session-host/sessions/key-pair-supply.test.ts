import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { describe, it } from 'node:test'
import { Curve } from '@whiskeysockets/baileys'
import { startKeyPairSupply } from './key-pair-supply.ts'
import type { KeyPairSupply } from './key-pair-supply.ts'

const require = createRequire(import.meta.url)
const curve = require('libsignal/src/curve.js') as { generateKeyPair(): { pubKey: Buffer; privKey: Buffer } }

const curveJs = require('curve25519-js') as { generateKeyPair(seed: Uint8Array): { public: Uint8Array } }

/** The public key of a raw X25519 private key, from curve25519-js as the independent reference. */
const publicOf = (privKey: Buffer): string => Buffer.from(curveJs.generateKeyPair(privKey).public).toString('base64url')
const base64url = (raw: Buffer): string => raw.toString('base64url')

const filled = async (supply: KeyPairSupply, count: number): Promise<void> => {
  for (let waited = 0; supply.ready() < count; waited += 10) {
    assert.ok(waited < 10_000, `only ${supply.ready()} of ${count} pairs ready after 10 s`)
    await new Promise(resolve => setTimeout(resolve, 10))
  }
}

describe('key pairs made on a worker thread (key-pair-supply.ts)', () => {
  it('hands each pair out once, Baileys’ pre-keys included, and libsignal makes its own once the supply is empty', async () => {
    const supply = startKeyPairSupply({ target: 64, batch: 32 })
    try {
      await filled(supply, 64)
      // Taken in one go, as Baileys takes a device's pre-keys: the worker's answers cannot land
      // meanwhile, so the first 64 come from it and the rest are made on this thread.
      const pairs = Array.from({ length: 200 }, (_, n) => {
        if (n % 2) return curve.generateKeyPair()
        const pair = Curve.generateKeyPair()
        return { pubKey: Buffer.concat([Buffer.from([5]), pair.public]), privKey: Buffer.from(pair.private) }
      })
      assert.deepEqual(supply.counts(), { supplied: 64, missed: 136 })
      assert.equal(new Set(pairs.map(pair => pair.privKey.toString('hex'))).size, 200)
      for (const { pubKey, privKey } of pairs) {
        assert.equal(pubKey[0], 5)
        assert.equal(base64url(pubKey.subarray(1)), publicOf(privKey))
        assert.equal(privKey[0]! & 7, 0)
        assert.equal(privKey[31]! & 0xc0, 0x40)
      }
      // And it fills up again by itself.
      await filled(supply, 64)
    } finally {
      await supply.stop()
    }
  })

  it('stops: libsignal makes its pairs on the thread again, and no pair made is left behind', async () => {
    const supply = startKeyPairSupply({ target: 32, batch: 16 })
    await filled(supply, 32)
    await supply.stop()
    assert.equal(supply.ready(), 0)
    const { privKey, pubKey } = curve.generateKeyPair()
    assert.equal(base64url(pubKey.subarray(1)), publicOf(privKey))
    assert.deepEqual(supply.counts(), { supplied: 0, missed: 0 })
  })
})
