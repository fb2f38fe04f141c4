// The type of a Web Crypto key, named without the DOM lib or a `node:` import so that this file
// stays runtime-agnostic (Node and Workers both provide `crypto.subtle`).
export type PepperKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>

export type Pepper = string | Uint8Array | PepperKey

/** HMAC-SHA256 under the pepper by other means than Web Crypto (node:crypto on Node). */
export type PepperSigner = { sign(data: Uint8Array): Uint8Array | Promise<Uint8Array> }

const hmac = { name: 'HMAC', hash: 'SHA-256' } as const
const encoder = new TextEncoder()

// A SHA-256 HMAC is 32 bytes: 43 base64url characters without padding. The last character carries
// only 4 bits, so it must be one whose 2 low bits are zero; anything else is not a hash we wrote.
const hashPattern = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/

export async function importPepper(pepper: string | Uint8Array): Promise<PepperKey> {
  const raw = typeof pepper === 'string' ? encoder.encode(pepper) : pepper
  if (raw.byteLength === 0) throw new RangeError('The OTP pepper must not be empty')
  return crypto.subtle.importKey('raw', raw, hmac, false, ['sign', 'verify'])
}

export async function hashOtpCode({ pepper, otpId, code }: { pepper: Pepper | PepperSigner; otpId: string; code: string }): Promise<string> {
  const input = hashInput(otpId, code)
  const signature = isSigner(pepper) ? await pepper.sign(input) : new Uint8Array(await crypto.subtle.sign('HMAC', await toKey(pepper), input))
  return encodeBase64Url(signature)
}

function isSigner(pepper: Pepper | PepperSigner): pepper is PepperSigner {
  return typeof (pepper as { sign?: unknown }).sign === 'function'
}

export async function otpCodeMatches({
  pepper,
  otpId,
  code,
  expectedHash
}: {
  pepper: Pepper
  otpId: string
  code: string
  expectedHash: string
}): Promise<boolean> {
  if (!hashPattern.test(expectedHash)) return false
  const key = await toKey(pepper)
  // subtle.verify compares in constant time, unlike string equality on the two hashes.
  return crypto.subtle.verify('HMAC', key, decodeBase64Url(expectedHash), hashInput(otpId, code))
}

function toKey(pepper: Pepper): Promise<PepperKey> {
  return typeof pepper === 'string' || pepper instanceof Uint8Array ? importPepper(pepper) : Promise.resolve(pepper)
}

function hashInput(otpId: string, code: string): Uint8Array {
  // Binding the id keeps a stored hash from verifying against another OTP. The id must not
  // contain the separator, or `a:b` + `c` and `a` + `b:c` would hash alike.
  if (otpId.includes(':')) throw new RangeError('An OTP id must not contain ":"')
  return encoder.encode(`${otpId}:${code}`)
}

function encodeBase64Url(bytes: Uint8Array): string {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

function decodeBase64Url(text: string): Uint8Array {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'))
  return Uint8Array.from(binary, char => char.charCodeAt(0))
}
