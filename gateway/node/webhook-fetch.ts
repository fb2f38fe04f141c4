import { Agent, buildConnector, fetch as undiciFetch } from 'undici'
import type { RequestInit as UndiciRequestInit } from 'undici'
import { ipFamily } from '../../shared/address-policy.ts'
import type { AllowedHost } from '../../shared/allowed-hosts.ts'
import { appError } from '../../shared/errors.ts'
import { isAllowedAddress } from '../../shared/url-policy.ts'

export type ResolvedAddress = { address: string; family: number }
/** Every address a host name resolves to: node:dns `lookup(name, { all: true })`, passed in by node.ts. */
export type ResolveHost = (hostname: string) => Promise<ResolvedAddress[]>

type LookupOptions = { all?: boolean; family?: number | string }
type LookupCallback = (error: Error | null, address: string | ResolvedAddress[], family?: number) => void

const notAllowed = (host: string) => appError('URL_NOT_ALLOWED', 'The webhook host is a loopback, private, link-local or metadata address', { host })

/**
 * The webhook fetch on Node: every connection its agent opens goes to an address checked against
 * the shared URL policy (shared/url-policy.ts). A host name is resolved once, inside the socket's
 * connect, and the socket connects to the answer that was checked, so a second DNS answer
 * (rebinding) is never used; TLS still names the host (SNI, certificate check) and so does the
 * Host header. Redirects are never followed. A refused connection rejects with the
 * URL_NOT_ALLOWED error as its cause.
 * `allowedHosts` (WEBHOOK_ALLOWED_HOSTS) are connected to although they are private.
 */
export const createNodeWebhookFetch = ({ resolve, allowedHosts = [], ca }: { resolve: ResolveHost; allowedHosts?: readonly AllowedHost[]; ca?: string }) => {
  // A lookup knows no port: the URL check already held the port to its entry.
  const allowed = (host: string, address: string) => isAllowedAddress(address, { host, allowedHosts })

  const vet = (hostname: string, answers: ResolvedAddress[], options: LookupOptions): ResolvedAddress[] => {
    // One private answer among public ones is enough to refuse: the name's owner picks them all.
    if (!answers.every(answer => allowed(hostname, answer.address))) throw notAllowed(hostname)
    const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family
    const usable = family ? answers.filter(answer => answer.family === family) : answers
    if (usable.length === 0) throw appError('URL_FETCH_FAILED', 'The webhook host name does not resolve', { host: hostname })
    return usable
  }
  const lookup = (hostname: string, options: LookupOptions, callback: LookupCallback) => {
    resolve(hostname)
      .then(answers => vet(hostname, answers, options))
      .then(
        usable => (options.all ? callback(null, usable) : callback(null, usable[0]!.address, usable[0]!.family)),
        error => callback(error instanceof Error ? error : new Error(String(error)), '')
      )
  }
  const connectChecked = buildConnector({ lookup, ...(ca ? { ca } : {}) })
  const agent = new Agent({
    connect: (options, callback) => {
      // Sockets skip `lookup` for an address literal, so literals are checked here.
      if (ipFamily(options.hostname) !== 0 && !allowed(options.hostname, options.hostname)) return callback(notAllowed(options.hostname), null)
      connectChecked(options, callback)
    }
  })

  // Called with a URL (deliver.ts); undici's own fetch, so its Agent is the one it expects.
  const webhookFetch = (input: string | URL, init?: RequestInit): Promise<Response> =>
    undiciFetch(input, { ...(init as UndiciRequestInit), redirect: 'manual', dispatcher: agent }) as unknown as Promise<Response>
  return Object.assign(webhookFetch as typeof fetch, { close: () => agent.close() })
}
