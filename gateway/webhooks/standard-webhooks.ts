/**
 * Standard Webhooks signing (https://www.standardwebhooks.com), with Web Crypto only so it runs on
 * Workers: `webhook-signature` holds `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` for each
 * active secret, space-separated, so a receiver keeps verifying while secrets rotate.
 */

const SECRET_PREFIX = 'whsec_'
const SECRET_BYTES = 32
const encoder = new TextEncoder()

const toBase64 = (bytes: Uint8Array): string => {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary)
}

const fromBase64 = (text: string): Uint8Array | undefined => {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4 !== 0) return undefined
  const binary = atob(text)
  return Uint8Array.from(binary, char => char.charCodeAt(0))
}

/** A new random secret in the `whsec_<base64>` form the receivers' libraries expect. */
export const generateWebhookSecret = (): string => SECRET_PREFIX + toBase64(crypto.getRandomValues(new Uint8Array(SECRET_BYTES)))

/** True for a `whsec_` secret whose key is 24 to 64 bytes. */
export const isWebhookSecret = (secret: string): boolean => {
  if (!secret.startsWith(SECRET_PREFIX)) return false
  const key = fromBase64(secret.slice(SECRET_PREFIX.length))
  return key !== undefined && key.length >= 24 && key.length <= 64
}

const importSecret = (secret: string): ReturnType<typeof crypto.subtle.importKey> => {
  const key = secret.startsWith(SECRET_PREFIX) ? fromBase64(secret.slice(SECRET_PREFIX.length)) : undefined
  if (!key) throw new TypeError('webhook secrets must be whsec_<base64>')
  return crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
}

/**
 * The three Standard Webhooks headers for one attempt. `timestamp` is the attempt's time (ms), not
 * the event's: receivers refuse signatures older than a few minutes.
 */
export const signWebhook = async (input: { id: string; timestamp: number; body: string; secrets: readonly string[] }): Promise<Record<string, string>> => {
  if (input.secrets.length === 0) throw new TypeError('at least one webhook secret is needed')
  const seconds = String(Math.floor(input.timestamp / 1000))
  const content = encoder.encode(`${input.id}.${seconds}.${input.body}`)
  const signatures = await Promise.all(
    input.secrets.map(async secret => `v1,${toBase64(new Uint8Array(await crypto.subtle.sign('HMAC', await importSecret(secret), content)))}`)
  )
  return { 'webhook-id': input.id, 'webhook-timestamp': seconds, 'webhook-signature': signatures.join(' ') }
}
