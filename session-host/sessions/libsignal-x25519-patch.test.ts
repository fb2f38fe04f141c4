import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import nodeCrypto, { createHash, createPrivateKey, createPublicKey, diffieHellman } from 'node:crypto'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const curveJs = require('curve25519-js') as {
  sharedKey(secret: Uint8Array, publicKey: Uint8Array): Uint8Array
  generateKeyPair(seed: Uint8Array): { public: Uint8Array; private: Uint8Array }
}
type Pair = { pubKey: Buffer; privKey: Buffer }
const curve = require('libsignal/src/curve.js') as { generateKeyPair(): Pair; calculateAgreement(publicKey: Buffer, privateKey: Buffer): Buffer }
// Present only when the patch was applied at install.
const native = require('libsignal/src/x25519-native.js') as {
  agree(publicKey: Buffer, privateKey: Buffer): Buffer
  supplyKeyPairs(take: (() => Pair | undefined) | null): void
}

/** The DER import libsignal used before the patch, as the reference. */
const PUBLIC_DER = Buffer.from('302a300506032b656e032100', 'hex')
const PRIVATE_DER = Buffer.from('302e020100300506032b656e04220420', 'hex')
const derAgreement = (publicKey: Buffer, privateKey: Buffer): Buffer =>
  diffieHellman({
    privateKey: createPrivateKey({ key: Buffer.concat([PRIVATE_DER, privateKey]), format: 'der', type: 'pkcs8' }),
    publicKey: createPublicKey({ key: Buffer.concat([PUBLIC_DER, publicKey]), format: 'der', type: 'spki' })
  })
const outcome = (run: () => Buffer): string => {
  try {
    return run().toString('hex')
  } catch {
    return 'refused'
  }
}

const bytes = (label: string): Buffer => createHash('sha256').update(label).digest()
const signalKey = (raw: Uint8Array): Buffer => Buffer.concat([Buffer.from([5]), raw])
const P = (1n << 255n) - 19n
const littleEndian = (value: bigint): Buffer => Buffer.from(Array.from({ length: 32 }, (_, i) => Number((value >> BigInt(8 * i)) & 0xffn)))

/**
 * patches/libsignal+6.0.0.patch imports X25519 keys as JWK instead of DER (OpenSSL 3's DER
 * decoders cost most of an agreement). The keys and secrets must stay exactly what they were.
 */
describe('libsignal X25519 without DER imports (the patch)', () => {
  it('agrees exactly as the DER import and curve25519-js do, on a defined set of keys', () => {
    for (let n = 0; n < 150; n++) {
      const privateKey = bytes(`private:${n}`)
      const publicKey = Buffer.from(curveJs.generateKeyPair(bytes(`peer:${n}`)).public)
      const secret = curve.calculateAgreement(signalKey(publicKey), privateKey)
      assert.equal(secret.toString('hex'), derAgreement(publicKey, privateKey).toString('hex'), `key ${n}`)
      assert.deepEqual(native.agree(publicKey, privateKey), secret)
      assert.equal(secret.toString('hex'), Buffer.from(curveJs.sharedKey(privateKey, publicKey)).toString('hex'), `key ${n}`)
    }
  })

  it('answers as the DER import for the public keys at the edges of the field (low order ones included)', () => {
    const privateKey = bytes('edge')
    const edges = [0n, 1n, 2n, P - 1n, P, P + 1n, (1n << 255n) - 1n, 9n]
    for (const u of edges) {
      const publicKey = littleEndian(u)
      assert.equal(
        outcome(() => curve.calculateAgreement(signalKey(publicKey), privateKey)),
        outcome(() => derAgreement(publicKey, privateKey)),
        `u = ${u}`
      )
    }
    // And a refused key does not stop the fast path for the next one.
    const publicKey = Buffer.from(curveJs.generateKeyPair(bytes('after')).public)
    assert.equal(curve.calculateAgreement(signalKey(publicKey), privateKey).toString('hex'), derAgreement(publicKey, privateKey).toString('hex'))
  })

  it('generates pairs whose public key is the private key’s, and that agree with each other', () => {
    for (let n = 0; n < 50; n++) {
      const ours = curve.generateKeyPair()
      const theirs = curve.generateKeyPair()
      assert.equal(ours.pubKey.length, 33)
      assert.equal(ours.pubKey[0], 5)
      assert.equal(ours.privKey.length, 32)
      assert.equal(ours.pubKey.subarray(1).toString('hex'), Buffer.from(curveJs.generateKeyPair(ours.privKey).public).toString('hex'))
      assert.deepEqual(curve.calculateAgreement(theirs.pubKey, ours.privKey), curve.calculateAgreement(ours.pubKey, theirs.privKey))
    }
  })

  it('generates its pairs without a DER-encoding generation job, with private keys clamped as OpenSSL clamps its own', () => {
    const generate = nodeCrypto.generateKeyPairSync
    let jobs = 0
    nodeCrypto.generateKeyPairSync = ((...args: Parameters<typeof generate>) => {
      jobs++
      return generate(...args)
    }) as typeof generate
    try {
      for (let n = 0; n < 50; n++) {
        const { privKey } = curve.generateKeyPair()
        assert.equal(privKey[0]! & 7, 0)
        assert.equal(privKey[31]! & 0xc0, 0x40)
      }
    } finally {
      nodeCrypto.generateKeyPairSync = generate
    }
    assert.equal(jobs, 0, 'libsignal still generated its pairs with generateKeyPairSync')
  })

  it('draws private keys from OpenSSL’s generator 256 at a time, never handing out one twice', () => {
    const randomBytes = nodeCrypto.randomBytes
    let draws = 0
    nodeCrypto.randomBytes = ((size: number) => {
      draws++
      return randomBytes(size)
    }) as typeof randomBytes
    const keys = new Set<string>()
    try {
      for (let n = 0; n < 600; n++) keys.add(curve.generateKeyPair().privKey.toString('hex'))
    } finally {
      nodeCrypto.randomBytes = randomBytes
    }
    assert.equal(keys.size, 600)
    // 600 keys take three draws of 256, or two after what the tests before left of one.
    assert.ok(draws >= 2 && draws <= 3, `${draws} draws for 600 keys`)
  })

  it('hands out a supplied pair while there is one, and makes its own when the supply has none or a malformed one', () => {
    const made = curve.generateKeyPair()
    const given = { pubKey: made.pubKey.subarray(1), privKey: made.privKey }
    const answers: (Pair | undefined)[] = [given, undefined, { pubKey: Buffer.alloc(31), privKey: made.privKey }]
    native.supplyKeyPairs(() => answers.shift())
    try {
      assert.deepEqual(curve.generateKeyPair(), made)
      for (let n = 0; n < 3; n++) {
        const own = curve.generateKeyPair()
        assert.notDeepEqual(own.privKey, made.privKey)
        assert.equal(own.pubKey.subarray(1).toString('hex'), Buffer.from(curveJs.generateKeyPair(own.privKey).public).toString('hex'))
      }
    } finally {
      native.supplyKeyPairs(null)
    }
    assert.equal(answers.length, 0)
  })
})
