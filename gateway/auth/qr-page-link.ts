import { base64url } from 'jose'

const encoder = new TextEncoder()

/** How long a QR page link works: long enough to scan, short enough that a leaked link soon dies. */
export const QR_PAGE_LINK_TTL_SECONDS = 10 * 60

/** Without DOM typings, Web Crypto's key type is named through the API that returns it. */
export type QrPageKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>

export type QrPageLink = { sessionId: string; expires: number; signature: string }

/**
 * QR page links are signed with a key derived from the internal secret (HKDF with its own label),
 * so operators configure nothing new and a link signature can never pass for a host request.
 */
export const deriveQrPageKey = async (internalSecret: string): Promise<QrPageKey> => {
  const base = await crypto.subtle.importKey('raw', encoder.encode(internalSecret), 'HKDF', false, ['deriveKey'])
  return crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: encoder.encode('wa-otp-gateway/qr-page-link/v1') },
    base,
    { name: 'HMAC', hash: 'SHA-256', length: 256 },
    false,
    ['sign', 'verify']
  )
}

const payload = (sessionId: string, expires: number) => encoder.encode(`${sessionId}\n${expires}`)

/** A link for one session that works until `expires` (Unix seconds). */
export const signQrPageLink = async (key: QrPageKey, sessionId: string, expires: number): Promise<QrPageLink> => ({
  sessionId,
  expires,
  signature: base64url.encode(new Uint8Array(await crypto.subtle.sign('HMAC', key, payload(sessionId, expires))))
})

/** True only for an unexpired link signed for this very session; Web Crypto compares in constant time. */
export const verifyQrPageLink = async (
  key: QrPageKey,
  link: { sessionId: string; expires: string | undefined; signature: string | undefined },
  nowMs: number
): Promise<boolean> => {
  if (!link.expires || !/^\d{1,12}$/.test(link.expires) || !link.signature || !/^[A-Za-z0-9_-]{43}$/.test(link.signature)) return false
  const expires = Number(link.expires)
  if (expires * 1000 <= nowMs) return false
  const mac = base64url.decode(link.signature)
  // The decoder ignores the unused bits of the last character; only the canonical spelling counts.
  if (base64url.encode(mac) !== link.signature) return false
  return crypto.subtle.verify('HMAC', key, mac, payload(link.sessionId, expires))
}

/** The page's path with its query, relative to the gateway's origin. */
export const qrPagePath = (link: QrPageLink, page: 'qr-page' | 'qr-page/state' = 'qr-page') =>
  `/api/sessions/${link.sessionId}/${page}?expires=${link.expires}&signature=${link.signature}`
