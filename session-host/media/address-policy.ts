import { BlockList, isIP } from 'node:net'

/**
 * Addresses a fetched URL must never reach: this host, its private networks and the cloud
 * metadata endpoints. IPv4-mapped IPv6 forms (::ffff:127.0.0.1) are unwrapped before the check,
 * so they cannot stand in for the IPv4 address they carry.
 */
const blocked = new BlockList()
const v4: [string, number][] = [
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
const v6: [string, number][] = [
  ['::', 128], // unspecified
  ['::1', 128],
  ['64:ff9b::', 96], // NAT64 embeds IPv4 addresses
  ['64:ff9b:1::', 48],
  ['100::', 64], // discard
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4 embeds IPv4 addresses
  ['fc00::', 7], // unique-local, with fd00:ec2::254 metadata
  ['fe80::', 10], // link-local
  ['fec0::', 10], // old site-local
  ['ff00::', 8] // multicast
]
for (const [net, prefix] of v4) blocked.addSubnet(net, prefix, 'ipv4')
for (const [net, prefix] of v6) blocked.addSubnet(net, prefix, 'ipv6')

const MAPPED_DOTTED = /^(?:0{0,4}:){0,5}ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i
const MAPPED_HEX = /^(?:0{0,4}:){0,5}ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i
const COMPAT_DOTTED = /^::(\d{1,3}(?:\.\d{1,3}){3})$/

/** The IPv4 address an IPv4-mapped or -compatible IPv6 address carries, if it carries one. */
const embeddedIPv4 = (address: string): string | undefined => {
  const lower = address.toLowerCase()
  const dotted = MAPPED_DOTTED.exec(lower) ?? COMPAT_DOTTED.exec(lower)
  if (dotted) return dotted[1]
  const hex = MAPPED_HEX.exec(lower)
  if (hex) {
    const high = parseInt(hex[1]!, 16)
    const low = parseInt(hex[2]!, 16)
    return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`
  }
  return undefined
}

/** Whether an IP address (v4 or v6, without brackets or zone) is one a fetch may connect to. */
export const isPublicAddress = (address: string): boolean => {
  const bare = address.replace(/^\[|\]$/g, '')
  // A zone id (fe80::1%eth0) only exists for link-local addresses.
  if (bare.includes('%')) return false
  const family = isIP(bare)
  if (family === 0) return false
  if (family === 4) return !blocked.check(bare, 'ipv4')
  const mapped = embeddedIPv4(bare)
  if (mapped !== undefined) return isIP(mapped) === 4 && !blocked.check(mapped, 'ipv4')
  return !blocked.check(bare, 'ipv6')
}
