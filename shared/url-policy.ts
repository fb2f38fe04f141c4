import { ipFamily, isPublicAddress } from './address-policy.ts'
import { isAllowedHost } from './allowed-hosts.ts'
import type { AllowedHost } from './allowed-hosts.ts'
import { normalizeHost } from './host-name.ts'

/**
 * The one policy for every URL the product fetches or calls for a user (media URLs on the host,
 * webhook URLs on the gateway): http(s) only, no credentials, and no loopback, private,
 * link-local or metadata address unless its host is on the operator's allow-list. Runtime-free:
 * `checkUrl` judges the URL, and a fetcher that resolves host names judges every address it got
 * with `isAllowedAddress` before it connects. Each side words the refusals for its own setting.
 */
export type UrlRefusal = 'invalid_url' | 'scheme' | 'credentials' | 'private_address'

/** A URL that passed, with its host as the allow-lists spell it and its port (the scheme's when absent). */
export type CheckedUrl = { ok: true; url: URL; host: string; port: string }

export type UrlTarget = { host: string; port?: string; allowedHosts: readonly AllowedHost[] }

/** Whether a connection for `host` may go to `address` (an answer for the name, or the literal itself). */
export const isAllowedAddress = (address: string, { host, port, allowedHosts }: UrlTarget): boolean =>
  isAllowedHost(allowedHosts, host, port) || isPublicAddress(address)

export const checkUrl = (input: string | URL, allowedHosts: readonly AllowedHost[]): CheckedUrl | { ok: false; reason: UrlRefusal } => {
  let url: URL
  try {
    url = new URL(input)
  } catch {
    return { ok: false, reason: 'invalid_url' }
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { ok: false, reason: 'scheme' }
  if (url.username || url.password) return { ok: false, reason: 'credentials' }
  // URL parsing already turned forms such as http://2130706433/ into 127.0.0.1.
  const host = normalizeHost(url.hostname)
  const port = url.port || (url.protocol === 'https:' ? '443' : '80')
  if (isAllowedHost(allowedHosts, host, port)) return { ok: true, url, host, port }
  // An address is judged here; a name by the addresses it resolves to, except the names under
  // localhost, which are loopback (RFC 6761) whatever a resolver would answer.
  const local = ipFamily(host) !== 0 ? !isPublicAddress(host) : host === 'localhost' || host.endsWith('.localhost')
  return local ? { ok: false, reason: 'private_address' } : { ok: true, url, host, port }
}
