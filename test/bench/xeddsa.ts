import { createRequire } from 'node:module'

/**
 * XEdDSA (issue 17, goal 3): Baileys' libsignal as patched against the pure-JS curve25519-js it
 * replaced, measured in the same run. Verification (OpenSSL's Ed25519 after converting the key): a
 * noise handshake verifies two signatures, every new peer's signed prekey one more. Signing (BigInt
 * over a table of multiples of the base point): a link signs twice, a simulated peer once.
 */
const require = createRequire(import.meta.url)
type Verify = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean
const curveJs = require('curve25519-js') as {
  verify: Verify
  sign(secret: Uint8Array, message: Uint8Array): Uint8Array
  generateKeyPair(seed: Uint8Array): { public: Uint8Array; private: Uint8Array }
}
const patched = require('libsignal/src/xeddsa-native.js') as { verify: Verify; sign(privateKey: Uint8Array, message: Uint8Array): Buffer }
const { randomBytes } = require('node:crypto') as typeof import('node:crypto')

const KEYS = Number(process.env.BENCH_XEDDSA_KEYS ?? 60)

const perOpMs = (run: () => void, rounds: number): number => {
  const started = performance.now()
  for (let i = 0; i < rounds; i++) run()
  return (performance.now() - started) / rounds
}

export const benchXeddsa = () => {
  const signed = Array.from({ length: KEYS }, () => {
    const pair = curveJs.generateKeyPair(randomBytes(32))
    const message = randomBytes(64)
    return { publicKey: Buffer.from(pair.public), message, signature: Buffer.from(curveJs.sign(pair.private, message)) }
  })
  let index = 0
  const next = () => signed[index++ % signed.length]!
  const check = (verify: Verify) => () => {
    const { publicKey, message, signature } = next()
    if (!verify(publicKey, message, signature)) throw new Error('a valid signature was refused')
  }
  check(patched.verify)()
  const pureJs = perOpMs(check(curveJs.verify), KEYS)
  // Each key once: the conversion and the key import every time (a new peer).
  const freshKeys = Array.from({ length: KEYS }, () => {
    const pair = curveJs.generateKeyPair(randomBytes(32))
    const message = randomBytes(64)
    return { publicKey: Buffer.from(pair.public), message, signature: Buffer.from(curveJs.sign(pair.private, message)) }
  })
  let fresh = 0
  const newKey = perOpMs(() => {
    const { publicKey, message, signature } = freshKeys[fresh++]!
    if (!patched.verify(publicKey, message, signature)) throw new Error('a valid signature was refused')
  }, KEYS)
  const knownKey = perOpMs(check(patched.verify), KEYS * 10)
  console.log('XEdDSA verification (libsignal, patched):')
  console.log(`  pure-JS curve25519-js (baseline) ${pureJs.toFixed(3)} ms per signature`)
  console.log(
    `  patched, a new key ${newKey.toFixed(3)} ms (ratio ${(newKey / pureJs).toFixed(3)}), a known key ${knownKey.toFixed(3)} ms (ratio ${(knownKey / pureJs).toFixed(3)})`
  )
  console.log(`  per noise handshake (two signatures): ${(2 * pureJs).toFixed(1)} ms → ${(2 * knownKey).toFixed(1)} ms of CPU`)

  const signing = Array.from({ length: KEYS }, () => ({ privateKey: randomBytes(32), message: randomBytes(64) }))
  const signWith = (sign: (privateKey: Uint8Array, message: Uint8Array) => Uint8Array) => {
    let at = 0
    return () => {
      const { privateKey, message } = signing[at++ % signing.length]!
      sign(privateKey, message)
    }
  }
  // The first signature builds the table of base-point multiples: counted apart.
  const tableMs = perOpMs(signWith(patched.sign), 1)
  const pureSign = perOpMs(signWith(curveJs.sign), KEYS)
  const patchedSign = perOpMs(signWith(patched.sign), KEYS * 10)
  console.log('XEdDSA signing (libsignal, patched):')
  console.log(`  pure-JS curve25519-js (baseline) ${pureSign.toFixed(3)} ms per signature`)
  console.log(
    `  patched ${patchedSign.toFixed(3)} ms (ratio ${(patchedSign / pureSign).toFixed(3)}); the first signature, with the table, ${tableMs.toFixed(1)} ms`
  )
}
