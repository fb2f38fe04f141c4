// RFC 7518 §3.2: an HS256 key must be at least as long as the hash output (32 bytes).
export const MIN_HS256_SECRET_BYTES = 32

/** Encodes a shared secret as an HS256 key, refusing one too short to resist brute force. */
export function hs256Key(secret: string): Uint8Array {
  const key = new TextEncoder().encode(secret)
  if (key.byteLength < MIN_HS256_SECRET_BYTES) {
    throw new RangeError(`The JWT secret must be at least ${MIN_HS256_SECRET_BYTES} bytes long`)
  }
  return key
}
