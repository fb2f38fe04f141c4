import { normalizeHost } from './host-name.ts'

/**
 * Addresses a URL fetched for a user must never reach: this host, its private networks and the
 * cloud metadata endpoints. Written without `node:net` so that one table serves the gateway's
 * literal check (Workers too) and the Node fetchers that check resolved addresses (media URLs,
 * webhook deliveries). IPv6 forms that carry an IPv4 address are judged by the IPv4 address.
 */
const V4_BLOCKED: [string, number][] = [
  ['0.0.0.0', 8], // "this network"; 0.0.0.0 reaches the local host
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, with 169.254.169.254 metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4] // reserved and broadcast
]
const V6_BLOCKED: [string, number][] = [
  ['::ffff:0:0:0', 96], // IPv4-translated (SIIT)
  ['64:ff9b::', 96], // NAT64 embeds IPv4 addresses
  ['64:ff9b:1::', 48],
  ['100::', 64], // discard
  ['2001::', 32], // Teredo tunnels to an IPv4 address
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4 embeds IPv4 addresses
  ['fc00::', 7], // unique-local, with fd00:ec2::254 metadata
  ['fe80::', 10], // link-local
  ['fec0::', 10], // old site-local
  ['ff00::', 8] // multicast
]

/** Dotted decimal only: octal, hex and short forms are not addresses here (URL parsing already rewrote them). */
const parseV4 = (text: string): number | undefined => {
  const parts = text.split('.')
  if (parts.length !== 4) return undefined
  let value = 0
  for (const part of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(part) || Number(part) > 255) return undefined
    value = value * 256 + Number(part)
  }
  return value
}

/** The eight 16-bit groups of an IPv6 address, with `::` expanded and a trailing dotted IPv4 split in two. */
const parseV6 = (text: string): number[] | undefined => {
  const halves = text.split('::')
  if (halves.length > 2) return undefined
  const groupsOf = (half: string, last: boolean): number[] | undefined => {
    if (half === '') return []
    const pieces = half.split(':')
    const groups: number[] = []
    for (const [i, piece] of pieces.entries()) {
      if (last && i === pieces.length - 1 && piece.includes('.')) {
        const v4 = parseV4(piece)
        if (v4 === undefined) return undefined
        groups.push(v4 >>> 16, v4 & 0xffff)
      } else if (/^[0-9a-f]{1,4}$/i.test(piece)) groups.push(parseInt(piece, 16))
      else return undefined
    }
    return groups
  }
  const head = groupsOf(halves[0]!, halves.length === 1)
  const tail = halves.length === 2 ? groupsOf(halves[1]!, true) : []
  if (!head || !tail) return undefined
  if (halves.length === 1) return head.length === 8 ? head : undefined
  if (head.length + tail.length > 7) return undefined
  return [...head, ...Array<number>(8 - head.length - tail.length).fill(0), ...tail]
}

const V4_RANGES = V4_BLOCKED.map(([network, prefix]) => ({ network: parseV4(network)!, prefix }))
const V6_RANGES = V6_BLOCKED.map(([network, prefix]) => ({ network: parseV6(network)!, prefix }))

const inV4 = (address: number, { network, prefix }: { network: number; prefix: number }) => address >>> (32 - prefix) === network >>> (32 - prefix)

const inV6 = (address: number[], { network, prefix }: { network: number[]; prefix: number }) => {
  for (let i = 0; i < 8; i++) {
    const bits = Math.min(16, prefix - i * 16)
    if (bits <= 0) return true
    const mask = (0xffff << (16 - bits)) & 0xffff
    if ((address[i]! & mask) !== (network[i]! & mask)) return false
  }
  return true
}

/** 4 or 6 for an IP address (brackets allowed), 0 for anything else, such as a host name. */
export const ipFamily = (text: string): 0 | 4 | 6 => {
  const bare = normalizeHost(text)
  if (parseV4(bare) !== undefined) return 4
  return parseV6(bare.split('%')[0]!) ? 6 : 0
}

/** Whether an IP address (v4 or v6, brackets allowed) is one a fetch for a user may connect to. */
export const isPublicAddress = (address: string): boolean => {
  const bare = normalizeHost(address)
  const v4 = parseV4(bare)
  if (v4 !== undefined) return !V4_RANGES.some(range => inV4(v4, range))
  // A zone id (fe80::1%eth0) only exists for link-local addresses.
  if (bare.includes('%')) return false
  const v6 = parseV6(bare)
  if (!v6) return false
  // ::/96 (IPv4-compatible, :: and ::1 among them) and ::ffff:0:0/96 (IPv4-mapped) carry an IPv4 address.
  if (v6.slice(0, 5).every(group => group === 0) && (v6[5] === 0 || v6[5] === 0xffff)) {
    const carried = v6[6]! * 0x10000 + v6[7]!
    return !V4_RANGES.some(range => inV4(carried, range))
  }
  return !V6_RANGES.some(range => inV6(v6, range))
}
