import { normalizeHost } from './host-name.ts'

/**
 * The one format of the allow-lists that let a URL reach a private or loopback host
 * (WEBHOOK_ALLOWED_HOSTS on the gateway, MEDIA_URL_ALLOW_HOSTS on the host): entries separated by
 * commas or spaces, each `host` (any port) or `host:port` (that port only); an IPv6 address in
 * brackets (`[::1]:8443`).
 */
export type AllowedHost = { host: string; port?: string }

export const parseAllowedHosts = (text: string): AllowedHost[] =>
  text
    .split(/[\s,]+/)
    .filter(Boolean)
    .map(entry => {
      const match = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(entry) ?? /^([^:[\]]+)(?::(\d{1,5}))?$/.exec(entry)
      if (!match) return { host: normalizeHost(entry) }
      return { host: normalizeHost(match[1]!), ...(match[2] ? { port: match[2] } : {}) }
    })

/** Whether an entry names this host (and this port, when both the entry and the caller have one). */
export const isAllowedHost = (allowed: readonly AllowedHost[], host: string, port?: string): boolean =>
  allowed.some(entry => entry.host === normalizeHost(host) && (entry.port === undefined || port === undefined || entry.port === port))
