import type { SigningCrypto } from './internal-signing.ts'

/** A running hash or HMAC, shaped as node:crypto's Hash and Hmac. */
type Digest = { update(data: Uint8Array): Digest; digest(): Uint8Array }

/** The node:crypto functions signing needs; a Node entry passes them in, so shared/ imports no runtime. */
export type HashFunctions = {
  createHash(algorithm: 'sha256'): Digest
  createHmac(algorithm: 'sha256', key: string): Digest
  timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean
}

/**
 * The signing primitives on node:crypto, for the Node entry points (the session host and
 * gateway/node.ts; Workers keep Web Crypto). Web Crypto runs each call as a thread-pool job, which
 * costs the host more than the hashing itself; these answer synchronously on the same OpenSSL.
 */
export const signingCryptoFrom = ({ createHash, createHmac, timingSafeEqual }: HashFunctions): SigningCrypto => ({
  sha256: data => createHash('sha256').update(data).digest(),
  hmacSha256: (secret, data) => createHmac('sha256', secret).update(data).digest(),
  hmacSha256Matches: (secret, mac, data) => {
    const expected = createHmac('sha256', secret).update(data).digest()
    return mac.byteLength === expected.byteLength && timingSafeEqual(mac, expected)
  }
})
