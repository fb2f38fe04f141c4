import { base64url } from 'jose'

/** A fresh nonce for one HTML response's inline code (its CSP names it). */
export const newNonce = (): string => base64url.encode(crypto.getRandomValues(new Uint8Array(16)))

/** The headers of every HTML page the gateway serves: its policy, no referrer, no caching, no sniffing. */
export const htmlPageHeaders = (contentSecurityPolicy: string) => ({
  'content-security-policy': contentSecurityPolicy,
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff'
})
