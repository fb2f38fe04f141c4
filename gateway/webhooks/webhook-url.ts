import { appError } from '../../shared/errors.ts'

const PRIVATE_V4: [number, number][] = [
  // [network, prefix length]
  [0x00000000, 8], // "this" network
  [0x0a000000, 8], // 10/8
  [0x64400000, 10], // 100.64/10 carrier-grade NAT
  [0x7f000000, 8], // loopback
  [0xa9fe0000, 16], // link-local (cloud metadata)
  [0xac100000, 12], // 172.16/12
  [0xc0a80000, 16], // 192.168/16
  [0xe0000000, 3] // multicast and reserved
]

const ipv4 = (host: string): number | undefined => {
  const parts = host.split('.')
  if (parts.length !== 4 || !parts.every(p => /^\d{1,3}$/.test(p) && Number(p) < 256)) return undefined
  return parts.reduce((n, p) => n * 256 + Number(p), 0)
}

const isPrivateV4 = (address: number): boolean =>
  PRIVATE_V4.some(([network, bits]) => (address >>> (32 - bits)) === (network >>> (32 - bits)))

const isPrivateV6 = (host: string): boolean => {
  const address = host.toLowerCase()
  if (address === '::' || address === '::1') return true
  if (/^f[cd]/.test(address) || /^fe[89ab]/.test(address)) return true // unique local, link-local
  // IPv4-mapped (::ffff:a.b.c.d, which URL parsing writes as ::ffff:xxxx:xxxx)
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(address)
  if (mapped) return isPrivateV4(parseInt(mapped[1]!, 16) * 65536 + parseInt(mapped[2]!, 16))
  return false
}

/**
 * Refuses webhook URLs that are not http(s) or that name a loopback, private or link-local address
 * literally, so a token holder cannot make the gateway call into its own network. Host names are
 * not resolved here; `allowedHosts` lets tests and operators name hosts that may be private.
 */
export const checkWebhookUrl = (input: string, allowedHosts: readonly string[] = []): URL => {
  let url: URL
  try {
    url = new URL(input)
  } catch {
    throw appError('URL_NOT_ALLOWED', 'The webhook URL is not a valid URL')
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw appError('URL_NOT_ALLOWED', 'The webhook URL must be http or https')
  if (url.username || url.password) throw appError('URL_NOT_ALLOWED', 'The webhook URL must not contain credentials')
  // URL parsing already turned forms such as http://2130706433/ into 127.0.0.1.
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase()
  if (allowedHosts.includes(host)) return url
  const v4 = ipv4(host)
  const local = host === 'localhost' || host.endsWith('.localhost') || (v4 !== undefined ? isPrivateV4(v4) : host.includes(':') && isPrivateV6(host))
  if (local) throw appError('URL_NOT_ALLOWED', 'The webhook URL points to a private or loopback address')
  return url
}
