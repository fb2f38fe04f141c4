import { verifySignature } from 'libsignal/src/curve.js'

/**
 * A real XEdDSA check. Baileys' own `Curve.verify` returns true for any signature (it expects
 * libsignal to throw, but libsignal returns false), so the emulator must not rely on it.
 */
export const verifyXEdDSA = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean => {
  try {
    return verifySignature(Buffer.concat([Buffer.from([5]), publicKey.subarray(publicKey.length - 32)]), message, signature) === true
  } catch {
    return false
  }
}
