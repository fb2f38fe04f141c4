import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'

/**
 * Queued message bodies are encrypted at rest: an OTP text holds its code until it is sent, and a
 * copy of the database file must not reveal it. The key is derived from the internal secret, so
 * the file alone is not enough; the row's id is bound in as associated data, so a ciphertext
 * cannot be moved to another message. Bodies are wiped once a message is sent or has failed.
 */
export type PayloadCipher = { seal(id: string, payload: unknown): string; open<T>(id: string, sealed: string): T }

export const createPayloadCipher = (secret: string): PayloadCipher => {
  const key = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'wa-otp-gateway/outbox-payload/v1', 32))
  return {
    seal(id, payload) {
      const iv = randomBytes(12)
      const cipher = createCipheriv('aes-256-gcm', key, iv)
      cipher.setAAD(Buffer.from(id))
      const body = Buffer.concat([cipher.update(JSON.stringify(payload), 'utf8'), cipher.final(), cipher.getAuthTag()])
      return `v1.${iv.toString('base64url')}.${body.toString('base64url')}`
    },
    open<T>(id: string, sealed: string): T {
      const [version, iv, body] = sealed.split('.')
      if (version !== 'v1' || !iv || !body) throw new Error('unknown payload format')
      const bytes = Buffer.from(body, 'base64url')
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'))
      decipher.setAAD(Buffer.from(id))
      decipher.setAuthTag(bytes.subarray(bytes.length - 16))
      return JSON.parse(Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - 16)), decipher.final()]).toString('utf8')) as T
    }
  }
}
