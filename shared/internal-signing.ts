/**
 * Authenticates gateway → session-host requests with a shared secret. Web Crypto only, so the
 * same code signs on Cloudflare Workers and verifies on Node.
 */

export const INTERNAL_HEADERS = {
  timestamp: 'x-internal-timestamp',
  nonce: 'x-internal-nonce',
  contentSha256: 'x-internal-content-sha256',
  signature: 'x-internal-signature'
} as const

export type SigningSecret = string | readonly string[]

/**
 * SHA-256 and HMAC-SHA-256 as signing needs them. Web Crypto by default; a Node process may pass
 * node:crypto, which answers synchronously instead of through a thread-pool job per call.
 */
export type SigningCrypto = {
  sha256(data: Uint8Array): Uint8Array | Promise<Uint8Array>
  hmacSha256(secret: string, data: Uint8Array): Uint8Array | Promise<Uint8Array>
  /** Whether `mac` is the HMAC of `data`, compared in constant time. */
  hmacSha256Matches(secret: string, mac: Uint8Array, data: Uint8Array): boolean | Promise<boolean>
}
export type SignableBody = Uint8Array | string | undefined

export type SignRequestInput = {
  secret: SigningSecret
  method: string
  pathWithQuery: string
  body: SignableBody
  /** Milliseconds since the epoch; defaults to Date.now(). */
  timestamp?: number
  /** Defaults to 16 random bytes, base64url. */
  nonce?: string
  /** Defaults to Web Crypto. */
  primitives?: SigningCrypto
}

export type VerifyRequestInput = {
  secret: SigningSecret
  method: string
  pathWithQuery: string
  body: SignableBody
  headers: Headers | Record<string, string | undefined>
  now?: number
  toleranceMs?: number
  /** Records the nonce and returns true if it had already been seen. */
  seenNonce: (nonce: string, expiresAtMs: number) => boolean | Promise<boolean>
  /** Defaults to Web Crypto. */
  primitives?: SigningCrypto
}

export type VerifyFailureReason = 'missing' | 'stale' | 'bad_digest' | 'bad_signature' | 'replayed'
export type VerifyResult = { ok: true } | { ok: false; reason: VerifyFailureReason }

const SIGNATURE_VERSION = 'v1='
const DEFAULT_TOLERANCE_MS = 30_000
// Restricting the nonce alphabet keeps newlines out of the canonical string, so no field can
// spill into the next one.
const NONCE_PATTERN = /^[A-Za-z0-9_-]{8,128}$/
const TIMESTAMP_PATTERN = /^\d{1,16}$/
/**
 * A request's nonce: a random UUID (122 random bits, in the nonce alphabet). It only has to be
 * unique within the tolerance window, and the runtime hands UUIDs out of a buffered draw (Node
 * refills it every 128), where 16 bytes from getRandomValues cost a call into the generator each.
 */
const newNonce = (): string => crypto.randomUUID()
const BASE64URL_PATTERN = /^[A-Za-z0-9_-]*$/
// A SHA-256 digest in unpadded base64url.
const DIGEST_PATTERN = /^[A-Za-z0-9_-]{43}$/

const encoder = new TextEncoder()

export async function signRequest(input: SignRequestInput): Promise<Record<string, string>> {
  const secrets = secretList(input.secret)
  const timestamp = input.timestamp ?? Date.now()
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new TypeError('timestamp must be a non-negative integer of milliseconds')
  }
  const nonce = input.nonce ?? newNonce()
  if (!NONCE_PATTERN.test(nonce)) {
    throw new TypeError('nonce must be 8-128 base64url characters')
  }
  const primitives = input.primitives ?? webCryptoSigning
  const digest = await bodyDigest(primitives, input.body)
  const canonical = canonicalString(input.method, input.pathWithQuery, String(timestamp), nonce, digest)
  const mac = await primitives.hmacSha256(secrets[0] as string, encoder.encode(canonical))
  return {
    [INTERNAL_HEADERS.timestamp]: String(timestamp),
    [INTERNAL_HEADERS.nonce]: nonce,
    [INTERNAL_HEADERS.contentSha256]: digest,
    [INTERNAL_HEADERS.signature]: SIGNATURE_VERSION + base64url(mac)
  }
}

export async function verifyRequest(input: VerifyRequestInput): Promise<VerifyResult> {
  const headers = await verifySignedHeaders(input)
  if (!headers.ok) return headers
  return (await bodyHasDigest(input.body, headers.digest, input.primitives)) ? { ok: true } : { ok: false, reason: 'bad_digest' }
}

export type VerifiedHeaders = { ok: true; digest: string } | { ok: false; reason: VerifyFailureReason }

/**
 * Checks a request's signature before its body is read: the MAC covers the body digest the
 * request claims, so a stranger is refused (and the nonce spent) without a byte of body being
 * held. The caller then reads the body, within its size cap, and checks it against `digest`
 * (`bodyHasDigest`).
 */
export async function verifySignedHeaders(input: Omit<VerifyRequestInput, 'body'>): Promise<VerifiedHeaders> {
  const digest = readHeader(input.headers, INTERNAL_HEADERS.contentSha256)
  if (digest === undefined || !DIGEST_PATTERN.test(digest)) return { ok: false, reason: 'missing' }
  const signed = readSignedHeaders(input)
  if ('reason' in signed) return { ok: false, reason: signed.reason }
  const canonical = canonicalString(input.method, input.pathWithQuery, signed.timestampHeader, signed.nonce, digest)
  const verdict = await checkSignature(input, signed, canonical)
  return verdict.ok ? { ok: true, digest } : verdict
}

/** Whether a body is the one a verified signature's digest names. */
export async function bodyHasDigest(body: SignableBody, digest: string, primitives: SigningCrypto = webCryptoSigning): Promise<boolean> {
  return (await bodyDigest(primitives, body)) === digest
}

type SignedHeaders = { timestampHeader: string; timestamp: number; nonce: string; mac: Uint8Array }

/**
 * The timestamp, nonce and MAC every signed request carries, checked for form and freshness. A
 * malformed header is treated like an absent one: there is nothing usable to check.
 */
function readSignedHeaders(input: Omit<VerifyRequestInput, 'body'>): SignedHeaders | { reason: VerifyFailureReason } {
  const timestampHeader = readHeader(input.headers, INTERNAL_HEADERS.timestamp)
  const nonce = readHeader(input.headers, INTERNAL_HEADERS.nonce)
  const signatureHeader = readHeader(input.headers, INTERNAL_HEADERS.signature)
  if (
    timestampHeader === undefined ||
    !TIMESTAMP_PATTERN.test(timestampHeader) ||
    nonce === undefined ||
    !NONCE_PATTERN.test(nonce) ||
    signatureHeader === undefined ||
    !signatureHeader.startsWith(SIGNATURE_VERSION)
  ) {
    return { reason: 'missing' }
  }
  const timestamp = Number(timestampHeader)
  if (Math.abs((input.now ?? Date.now()) - timestamp) > (input.toleranceMs ?? DEFAULT_TOLERANCE_MS)) return { reason: 'stale' }
  const mac = decodeBase64url(signatureHeader.slice(SIGNATURE_VERSION.length))
  if (mac === undefined) return { reason: 'bad_signature' }
  return { timestampHeader, timestamp, nonce, mac }
}

/** The MAC against each accepted secret, then the nonce: one use per signed request. */
async function checkSignature(input: Omit<VerifyRequestInput, 'body'>, signed: SignedHeaders, canonical: string): Promise<VerifyResult> {
  const primitives = input.primitives ?? webCryptoSigning
  const data = encoder.encode(canonical)
  let verified = false
  for (const secret of secretList(input.secret)) {
    // A constant-time comparison: string equality would leak the MAC byte by byte.
    if (await primitives.hmacSha256Matches(secret, signed.mac, data)) {
      verified = true
      break
    }
  }
  if (!verified) return { ok: false, reason: 'bad_signature' }

  // Only authenticated requests may write to the nonce store, so it cannot be flooded by strangers.
  // Past timestamp + tolerance a replay is rejected as stale anyway, so the nonce can be forgotten.
  const toleranceMs = input.toleranceMs ?? DEFAULT_TOLERANCE_MS
  if (await input.seenNonce(signed.nonce, signed.timestamp + toleranceMs)) return { ok: false, reason: 'replayed' }
  return { ok: true }
}

export type NonceCacheOptions = {
  maxEntries?: number
  now?: () => number
}

/**
 * An in-memory `seenNonce` for a single host process. When full of unexpired nonces it answers
 * "seen": refusing a request is safer than forgetting a nonce that could still be replayed.
 */
export function createNonceCache(options: NonceCacheOptions = {}): (nonce: string, expiresAtMs: number) => boolean {
  const maxEntries = options.maxEntries ?? 100_000
  const now = options.now ?? Date.now
  const expiries = new Map<string, number>()
  let earliestExpiry = Number.POSITIVE_INFINITY

  const sweep = (at: number): void => {
    earliestExpiry = Number.POSITIVE_INFINITY
    for (const [nonce, expiresAt] of expiries) {
      if (expiresAt <= at) expiries.delete(nonce)
      else earliestExpiry = Math.min(earliestExpiry, expiresAt)
    }
  }

  return (nonce, expiresAtMs) => {
    const at = now()
    const known = expiries.get(nonce)
    if (known !== undefined && known > at) return true
    if (known !== undefined) expiries.delete(nonce)

    // Nonces arrive roughly in expiry order, so dropping expired ones from the oldest end keeps
    // the map small at constant amortised cost; a full sweep catches the out-of-order rest.
    for (const [oldest, expiresAt] of expiries) {
      if (expiresAt > at) break
      expiries.delete(oldest)
    }
    if (expiries.size >= maxEntries && earliestExpiry <= at) sweep(at)
    if (expiries.size >= maxEntries) return true

    expiries.set(nonce, expiresAtMs)
    earliestExpiry = Math.min(earliestExpiry, expiresAtMs)
    return false
  }
}

function canonicalString(method: string, pathWithQuery: string, timestamp: string, nonce: string, digest: string): string {
  return `${method.toUpperCase()}\n${pathWithQuery}\n${timestamp}\n${nonce}\n${digest}`
}

function secretList(secret: SigningSecret): readonly string[] {
  const secrets = typeof secret === 'string' ? [secret] : secret
  if (secrets.length === 0 || secrets.some(s => s.length === 0)) {
    throw new TypeError('internal signing needs at least one non-empty secret')
  }
  return secrets
}

// Importing a key costs about as much as using it; a process holds only a few secrets.
const keyCache = new Map<string, ReturnType<typeof crypto.subtle.importKey>>()

function hmacKey(secret: string) {
  let key = keyCache.get(secret)
  if (key === undefined) {
    key = crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify'])
    keyCache.set(secret, key)
  }
  return key
}

export const webCryptoSigning: SigningCrypto = {
  sha256: async data => new Uint8Array(await crypto.subtle.digest('SHA-256', data)),
  hmacSha256: async (secret, data) => new Uint8Array(await crypto.subtle.sign('HMAC', await hmacKey(secret), data)),
  // subtle.verify compares in constant time.
  hmacSha256Matches: async (secret, mac, data) => crypto.subtle.verify('HMAC', await hmacKey(secret), mac, data)
}

async function bodyDigest(primitives: SigningCrypto, body: SignableBody): Promise<string> {
  const bytes = body === undefined ? new Uint8Array(0) : typeof body === 'string' ? encoder.encode(body) : body
  return base64url(await primitives.sha256(bytes))
}

function readHeader(headers: VerifyRequestInput['headers'], name: string): string | undefined {
  // Duck-typed rather than instanceof: a Headers from another realm or from the undici package is
  // not an instance of the global class.
  if (isHeaders(headers)) return headers.get(name) ?? undefined
  const exact = headers[name]
  if (exact !== undefined) return exact
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name) return value
  }
  return undefined
}

function isHeaders(headers: VerifyRequestInput['headers']): headers is Headers {
  return typeof (headers as { get?: unknown }).get === 'function'
}

function base64url(bytes: Uint8Array): string {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

function decodeBase64url(text: string): Uint8Array | undefined {
  if (!BASE64URL_PATTERN.test(text) || text.length % 4 === 1) return undefined
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'))
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  // atob ignores the unused low bits of the last character: refuse such second spellings of a MAC.
  return base64url(bytes) === text ? bytes : undefined
}

/*
 * Streamed uploads. A multipart upload of up to 50 MB passes through the gateway as a stream, so
 * no digest of the body exists when the headers are signed. Instead of a digest the request
 * carries the explicit marker UNSIGNED-STREAM in the digest header, and the signature covers a
 * separate canonical string: a domain tag, method, path with query, timestamp, nonce, the
 * content type (which includes the multipart boundary) and the declared body length. So a
 * captured signature cannot be replayed (nonce), moved to another route or session (path),
 * reused for a JSON request (domain tag; the digest header of a normal request is always 43
 * characters) or given a body of another length; the host checks the received length against
 * the signed one before it acts. What it does not cover is the bytes themselves: someone able
 * to rewrite traffic between gateway and host could swap the file for another of the same
 * length. The host accepts this variant only on its upload routes, and the link should stay on
 * loopback or a private network (or TLS), as for every internal call.
 */
export const UNSIGNED_STREAM = 'UNSIGNED-STREAM'
export const STREAM_LENGTH_HEADER = 'x-internal-content-length'

export type SignStreamRequestInput = {
  secret: SigningSecret
  method: string
  pathWithQuery: string
  contentType: string
  /** Exact body length in bytes, or undefined when the caller streams without a length. */
  contentLength: number | undefined
  timestamp?: number
  nonce?: string
  /** Defaults to Web Crypto. */
  primitives?: SigningCrypto
}

export type VerifyStreamRequestInput = Omit<VerifyRequestInput, 'body'> & { contentType: string }
export type VerifiedStream = { ok: true; contentLength: number | undefined } | { ok: false; reason: VerifyFailureReason }

export function isUnsignedStream(headers: VerifyRequestInput['headers']): boolean {
  return readHeader(headers, INTERNAL_HEADERS.contentSha256) === UNSIGNED_STREAM
}

export async function signStreamRequest(input: SignStreamRequestInput): Promise<Record<string, string>> {
  const secrets = secretList(input.secret)
  const timestamp = input.timestamp ?? Date.now()
  const nonce = input.nonce ?? newNonce()
  if (!NONCE_PATTERN.test(nonce)) throw new TypeError('nonce must be 8-128 base64url characters')
  const length = input.contentLength === undefined ? '' : String(input.contentLength)
  const canonical = streamCanonicalString(input.method, input.pathWithQuery, String(timestamp), nonce, input.contentType, length)
  const mac = await (input.primitives ?? webCryptoSigning).hmacSha256(secrets[0] as string, encoder.encode(canonical))
  return {
    [INTERNAL_HEADERS.timestamp]: String(timestamp),
    [INTERNAL_HEADERS.nonce]: nonce,
    [INTERNAL_HEADERS.contentSha256]: UNSIGNED_STREAM,
    [STREAM_LENGTH_HEADER]: length,
    [INTERNAL_HEADERS.signature]: SIGNATURE_VERSION + base64url(mac)
  }
}

/** Verifies a streamed request's headers without reading its body; the caller counts the bytes. */
export async function verifyStreamRequest(input: VerifyStreamRequestInput): Promise<VerifiedStream> {
  const length = readHeader(input.headers, STREAM_LENGTH_HEADER) ?? ''
  if (!isUnsignedStream(input.headers) || !/^\d{0,16}$/.test(length)) return { ok: false, reason: 'missing' }
  const signed = readSignedHeaders(input)
  if ('reason' in signed) return { ok: false, reason: signed.reason }
  const canonical = streamCanonicalString(input.method, input.pathWithQuery, signed.timestampHeader, signed.nonce, input.contentType, length)
  const verdict = await checkSignature(input, signed, canonical)
  return verdict.ok ? { ok: true, contentLength: length === '' ? undefined : Number(length) } : verdict
}

function streamCanonicalString(method: string, pathWithQuery: string, timestamp: string, nonce: string, contentType: string, length: string): string {
  // The content type is the only caller-influenced field that could hold a newline; refuse it.
  if (/[\r\n]/.test(contentType)) throw new TypeError('content type must be a single line')
  return `stream-v1\n${method.toUpperCase()}\n${pathWithQuery}\n${timestamp}\n${nonce}\n${contentType}\n${length}`
}
