import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import type { SigningCrypto } from './internal-signing.ts'

/**
 * For the Node entry points only (the session host and gateway/node.ts; Workers keep Web Crypto):
 * the signing primitives on node:crypto. Web Crypto runs each call as a thread-pool job, which
 * costs the host more than the hashing itself; these answer synchronously on the same OpenSSL.
 */
export const nodeSigningCrypto: SigningCrypto = {
  sha256: data => createHash('sha256').update(data).digest(),
  hmacSha256: (secret, data) => createHmac('sha256', secret).update(data).digest(),
  hmacSha256Matches: (secret, mac, data) => {
    const expected = createHmac('sha256', secret).update(data).digest()
    return mac.byteLength === expected.byteLength && timingSafeEqual(mac, expected)
  }
}
