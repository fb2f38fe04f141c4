import { lookup } from 'node:dns/promises'
import type { LookupFunction } from 'node:net'
import { Agent, request } from 'undici'
import { AppError, appError } from '../../shared/errors.ts'
import { ipFamily } from '../../shared/address-policy.ts'
import type { AllowedHost } from '../../shared/allowed-hosts.ts'
import { checkUrl, isAllowedAddress } from '../../shared/url-policy.ts'
import type { UrlRefusal } from '../../shared/url-policy.ts'
import { fileTooLarge, writeCapped } from './upload-spool.ts'

export type FetchPolicy = {
  /**
   * Hosts exempt from the address check (`host` or `host:port`). For tests that serve files on
   * loopback; empty unless MEDIA_URL_ALLOW_HOSTS sets it.
   */
  allowHosts: readonly AllowedHost[]
  /** The whole fetch, redirects included. */
  timeoutMs: number
  maxRedirects: number
}

export const DEFAULT_FETCH_POLICY: FetchPolicy = { allowHosts: [], timeoutMs: 30_000, maxRedirects: 5 }

export type Fetched = { bytes: number; contentType: string | undefined; fileName: string | undefined }

const notAllowed = (url: string, reason: string) => appError('URL_NOT_ALLOWED', `The URL is not allowed: ${reason}`, { url: url.slice(0, 200), reason })
const fetchFailed = (url: string, reason: string, extra: Record<string, unknown> = {}) =>
  appError('URL_FETCH_FAILED', `The URL could not be fetched: ${reason}`, { url: url.slice(0, 200), reason, ...extra })

/** Why the shared URL policy refused a media URL, in the words of the host's setting. */
const REFUSALS: Record<UrlRefusal, string> = {
  invalid_url: 'not a valid absolute URL',
  scheme: 'only http and https URLs are fetched',
  credentials: 'URLs with credentials are not fetched',
  private_address: 'the host is a loopback, private, link-local or metadata address (MEDIA_URL_ALLOW_HOSTS on the host lets named hosts through, for tests)'
}

/**
 * The address to connect to for a URL, after checking the URL and every address its name resolves
 * to against the shared URL policy: one private answer among public ones is enough to refuse,
 * since the name's owner picks them.
 */
const vetAddress = async (url: URL, policy: FetchPolicy): Promise<{ address: string; family: number }> => {
  const checked = checkUrl(url, policy.allowHosts)
  if (!checked.ok) throw notAllowed(url.href, REFUSALS[checked.reason])
  const { host, port } = checked
  const family = ipFamily(host)
  const answers = family !== 0 ? [{ address: host, family }] : await lookup(host, { all: true, verbatim: true }).catch(() => [])
  if (answers.length === 0) throw fetchFailed(url.href, 'the host name does not resolve')
  if (!answers.every(answer => isAllowedAddress(answer.address, { host, port, allowedHosts: policy.allowHosts })))
    throw notAllowed(url.href, REFUSALS.private_address)
  return answers[0]!
}

/** Connects only to the vetted address, so a second DNS answer (rebinding) cannot be used. */
const pinnedAgent = ({ address, family }: { address: string; family: number }) => {
  const pinned: LookupFunction = (_hostname, options, callback) => {
    if (options.all) (callback as unknown as (error: null, addresses: { address: string; family: number }[]) => void)(null, [{ address, family }])
    else callback(null, address, family)
  }
  return new Agent({ connect: { lookup: pinned } })
}

const fileNameOf = (disposition: string | undefined, url: URL): string | undefined => {
  const quoted = disposition && /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition)?.[1]
  const last = decodeURIComponent(url.pathname.split('/').pop() ?? '')
  const name = (quoted ? decodeURIComponent(quoted) : last).replace(/[\\/\r\n]/g, '').slice(0, 255)
  return name || undefined
}

/**
 * Downloads a URL into `path` with the SSRF guards: http(s) only, every hop's name resolved and
 * every address checked before connecting (and the connection pinned to it), redirects followed
 * by hand and re-checked, a time limit over the whole fetch and a size limit over the body.
 */
export const fetchToFile = async (
  rawUrl: string,
  path: string,
  { maxBytes, policy = DEFAULT_FETCH_POLICY }: { maxBytes: number; policy?: FetchPolicy }
): Promise<Fetched> => {
  let url: URL
  try {
    url = new URL(rawUrl)
  } catch {
    throw notAllowed(rawUrl, REFUSALS.invalid_url)
  }
  const signal = AbortSignal.timeout(policy.timeoutMs)
  for (let hop = 0; ; hop++) {
    const target = await vetAddress(url, policy)
    const agent = pinnedAgent(target)
    try {
      const response = await request(url, { dispatcher: agent, method: 'GET', signal, headers: { accept: '*/*', 'user-agent': 'wa-otp-gateway media fetch' } })
      const header = (name: string) => {
        const value = response.headers[name]
        return Array.isArray(value) ? value[0] : value
      }
      if (response.statusCode >= 300 && response.statusCode < 400 && header('location')) {
        await response.body.dump()
        if (hop >= policy.maxRedirects) throw fetchFailed(rawUrl, `more than ${policy.maxRedirects} redirects`)
        url = new URL(header('location')!, url)
        continue
      }
      if (response.statusCode < 200 || response.statusCode >= 300) {
        await response.body.dump()
        throw fetchFailed(rawUrl, `the server answered ${response.statusCode}`, { status: response.statusCode })
      }
      const declaredLength = Number(header('content-length') ?? NaN)
      if (declaredLength > maxBytes) {
        // Dropping the body aborts it; that abort is expected, not an error to report.
        response.body.on('error', () => {}).destroy()
        throw fileTooLarge(maxBytes)
      }
      const bytes = await writeCapped(response.body, path, maxBytes)
      return { bytes, contentType: header('content-type'), fileName: fileNameOf(header('content-disposition'), url) }
    } catch (error) {
      if (error instanceof AppError) throw error
      throw fetchFailed(rawUrl, signal.aborted ? `no complete answer within ${policy.timeoutMs} ms` : 'the connection failed')
    } finally {
      await agent.close().catch(() => {})
    }
  }
}
