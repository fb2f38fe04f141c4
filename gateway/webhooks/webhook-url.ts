import { ipFamily, isPublicAddress } from '../../shared/address-policy.ts'
import { isAllowedHost, normalizeHost } from '../../shared/allowed-hosts.ts'
import type { AllowedHost } from '../../shared/allowed-hosts.ts'
import { appError } from '../../shared/errors.ts'

/**
 * Refuses webhook URLs that are not http(s) or that name a loopback, private or link-local address
 * literally, so a token holder cannot make the gateway call into its own network. Host names are
 * not resolved here: on Node the delivery fetch resolves them and checks every address against
 * the same policy. `allowedHosts` lets tests and operators name hosts that may be private.
 */
export const checkWebhookUrl = (input: string, allowedHosts: readonly AllowedHost[] = []): URL => {
  let url: URL
  try {
    url = new URL(input)
  } catch {
    throw appError('URL_NOT_ALLOWED', 'The webhook URL is not a valid URL')
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw appError('URL_NOT_ALLOWED', 'The webhook URL must be http or https')
  if (url.username || url.password) throw appError('URL_NOT_ALLOWED', 'The webhook URL must not contain credentials')
  // URL parsing already turned forms such as http://2130706433/ into 127.0.0.1.
  const host = normalizeHost(url.hostname)
  if (isAllowedHost(allowedHosts, host, url.port || (url.protocol === 'https:' ? '443' : '80'))) return url
  const local = ipFamily(host) !== 0 ? !isPublicAddress(host) : host === 'localhost' || host.endsWith('.localhost')
  if (local) throw appError('URL_NOT_ALLOWED', 'The webhook URL points to a private or loopback address; WEBHOOK_ALLOWED_HOSTS on the gateway lets named hosts through', { setting: 'WEBHOOK_ALLOWED_HOSTS' })
  return url
}
