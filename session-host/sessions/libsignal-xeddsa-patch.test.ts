import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'

const require = createRequire(import.meta.url)
type Verify = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean
const curveJs = require('curve25519-js') as {
  verify: Verify
  sign(secret: Uint8Array, message: Uint8Array, random?: Uint8Array): Uint8Array
  generateKeyPair(seed: Uint8Array): { public: Uint8Array; private: Uint8Array }
}
const curve = require('libsignal/src/curve.js') as {
  verifySignature(publicKey: Buffer, message: Buffer, signature: Buffer, isInit?: boolean): boolean
  calculateSignature(privateKey: Buffer, message: Buffer): Buffer
}
const native = require('libsignal/src/xeddsa-native.js') as { nativeVerify: Verify }

const ROOT = join(import.meta.dirname, '..', '..')
const L = (1n << 252n) + 27742317777372353535851937790883648493n
const P = (1n << 255n) - 19n

/** Bytes that every run gives alike: SHA-256 of a label and a counter. */
const bytes = (label: string, length: number): Buffer => {
  const out: Buffer[] = []
  for (let block = 0; out.length * 32 < length; block++) out.push(createHash('sha256').update(`${label}:${block}`).digest())
  return Buffer.concat(out).subarray(0, length)
}
const littleEndian = (value: bigint): Buffer => Buffer.from(Array.from({ length: 32 }, (_, i) => Number((value >> BigInt(8 * i)) & 0xffn)))
const fromLittleEndian = (buffer: Uint8Array): bigint => buffer.reduceRight((value, byte) => (value << 8n) | BigInt(byte), 0n)

type Vector = { name: string; publicKey: Buffer; message: Buffer; signature: Buffer }

/**
 * The defined set: valid signatures, each tampered in its message, its R, its S and its sign bit,
 * its key's ignored top bit set, S made non-canonical (S + L, which the pure-JS code accepts and
 * OpenSSL refuses), and keys at the edges of the field (0, 1, p - 1, unreduced).
 */
const vectors = (): Vector[] => {
  const list: Vector[] = []
  for (let n = 0; n < 40; n++) {
    const pair = curveJs.generateKeyPair(bytes(`key${n}`, 32))
    const publicKey = Buffer.from(pair.public)
    const message = bytes(`message${n}`, 1 + ((n * 37) % 200))
    const signature = Buffer.from(curveJs.sign(pair.private, message, bytes(`random${n}`, 64)))
    const changed = (buffer: Buffer, at: number, mask: number) => {
      const copy = Buffer.from(buffer)
      copy[at]! ^= mask
      return copy
    }
    list.push(
      { name: `valid ${n}`, publicKey, message, signature },
      { name: `message tampered ${n}`, publicKey, message: changed(message, 0, 1), signature },
      { name: `R tampered ${n}`, publicKey, message, signature: changed(signature, n % 32, 1 << (n % 8)) },
      { name: `S tampered ${n}`, publicKey, message, signature: changed(signature, 32 + (n % 31), 1 << (n % 8)) },
      { name: `sign bit flipped ${n}`, publicKey, message, signature: changed(signature, 63, 0x80) },
      { name: `key top bit set ${n}`, publicKey: changed(publicKey, 31, 0x80), message, signature }
    )
    const sign = signature[63]! & 0x80
    const s = fromLittleEndian(Buffer.from(signature.subarray(32)).fill(signature[63]! & 0x7f, 31))
    const nonCanonical = littleEndian(s + L)
    nonCanonical[31]! |= sign
    list.push({ name: `S + L ${n}`, publicKey, message, signature: Buffer.concat([signature.subarray(0, 32), nonCanonical]) })
  }
  for (const [name, u] of [
    ['u = 0', 0n],
    ['u = 1', 1n],
    ['u = p - 1', P - 1n],
    ['u = p + 1 (unreduced)', P + 1n]
  ] as const) {
    for (let n = 0; n < 4; n++)
      list.push({ name: `${name}, signature ${n}`, publicKey: littleEndian(u), message: bytes(`edge${n}`, 16), signature: bytes(`edge-sig${n}`, 64) })
  }
  return list
}

// patches/libsignal+6.0.0.patch: Baileys' libsignal verifies XEdDSA signatures with OpenSSL's
// Ed25519 and answers exactly as the pure-JS code does.
describe("the project's libsignal patch: XEdDSA verification at native speed", () => {
  it('is written for the libsignal version that is installed, and applied', () => {
    const { version } = require('libsignal/package.json') as { version: string }
    assert.ok(readdirSync(join(ROOT, 'patches')).includes(`libsignal+${version}.patch`))
    const valid = vectors()[0]!
    assert.equal(native.nativeVerify(valid.publicKey, valid.message, valid.signature), true, 'OpenSSL checks a valid signature')
  })

  it("answers as curve25519-js on every vector, through libsignal's verifySignature", () => {
    const set = vectors()
    const answers = set.map(vector => ({
      name: vector.name,
      expected: curveJs.verify(vector.publicKey, vector.message, vector.signature),
      patched: curve.verifySignature(Buffer.concat([Buffer.from([5]), vector.publicKey]), vector.message, vector.signature)
    }))
    assert.deepEqual(
      answers.filter(answer => answer.expected !== answer.patched),
      []
    )
    // The set reaches both answers and both paths.
    const accepted = (prefix: string) => answers.filter(answer => answer.name.startsWith(prefix) && answer.expected).length
    assert.equal(accepted('valid'), 40)
    assert.equal(accepted('key top bit set'), 40, 'the top bit of u is ignored')
    assert.equal(accepted('S + L'), 40, 'the pure-JS code accepts a non-canonical S')
    assert.equal(accepted('message tampered') + accepted('R tampered') + accepted('S tampered') + accepted('sign bit flipped'), 0)
    const nonCanonical = set.find(vector => vector.name === 'S + L 0')!
    assert.equal(
      native.nativeVerify(nonCanonical.publicKey, nonCanonical.message, nonCanonical.signature),
      false,
      'OpenSSL refuses it: the pure-JS path answers'
    )
  })
})

/**
 * The defined set for signing: keys from the edges (all zero, all ones, only the bits clamping
 * clears or sets) and hashed ones, with messages of 0 to 1,000 bytes.
 */
const signingVectors = (): { name: string; privateKey: Buffer; message: Buffer }[] => {
  const keys: [string, Buffer][] = [
    ['zero key', Buffer.alloc(32)],
    ['all-ones key', Buffer.alloc(32, 0xff)],
    ['clamped bits only', Buffer.from([0x07, ...Array<number>(30).fill(0), 0x80])],
    ['top bits clear', Buffer.from([...Array<number>(31).fill(0xff), 0x3f])],
    ...Array.from({ length: 60 }, (_, n): [string, Buffer] => [`key ${n}`, bytes(`signing-key${n}`, 32)])
  ]
  const lengths = [0, 1, 32, 33, 64, 200, 1000]
  return keys.map(([name, privateKey], n) => ({ name, privateKey, message: bytes(`signing-message${n}`, lengths[n % lengths.length]!) }))
}

// The same patch signs without curve25519-js; libsignal calls curve25519-js's sign with no random
// input, which makes its signatures deterministic, so the patched ones must be the same bytes.
describe("the project's libsignal patch: XEdDSA signing", () => {
  it('signs every vector byte for byte as curve25519-js does, and the signatures verify', () => {
    const differing = signingVectors().filter(({ privateKey, message }) => {
      const signature = curve.calculateSignature(privateKey, message)
      return !signature.equals(Buffer.from(curveJs.sign(privateKey, message)))
    })
    assert.deepEqual(
      differing.map(vector => vector.name),
      []
    )
    const { privateKey, message } = signingVectors()[5]!
    const publicKey = Buffer.from(curveJs.generateKeyPair(privateKey).public)
    assert.equal(curveJs.verify(publicKey, message, curve.calculateSignature(privateKey, message)), true)
  })

  it('refuses a key of another length, as curve25519-js does', () => {
    const patched = require('libsignal/src/xeddsa-native.js') as { sign(privateKey: Uint8Array, message: Uint8Array): Buffer }
    for (const length of [31, 33]) {
      const key = bytes(`short-or-long${length}`, length)
      assert.throws(() => curveJs.sign(key, Buffer.from('m')), /wrong secret key length/)
      assert.throws(() => patched.sign(key, Buffer.from('m')), /wrong secret key length/)
    }
  })

  it('does not call curve25519-js to sign', () => {
    const pureJs = curveJs.sign
    curveJs.sign = () => {
      throw new Error('curve25519-js signed')
    }
    try {
      const { privateKey, message } = signingVectors()[7]!
      assert.equal(curve.calculateSignature(privateKey, message).length, 64)
    } finally {
      curveJs.sign = pureJs
    }
  })
})
