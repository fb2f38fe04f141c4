import type { AllowedHost } from '../../shared/allowed-hosts.ts'
import { appError } from '../../shared/errors.ts'
import { checkUrl } from '../../shared/url-policy.ts'
import type { UrlRefusal } from '../../shared/url-policy.ts'

const REFUSALS: Record<UrlRefusal, string> = {
  invalid_url: 'The webhook URL is not a valid URL',
  scheme: 'The webhook URL must be http or https',
  credentials: 'The webhook URL must not contain credentials',
  private_address: 'The webhook URL points to a private or loopback address; WEBHOOK_ALLOWED_HOSTS on the gateway lets named hosts through'
}

/**
 * Refuses webhook URLs the shared URL policy refuses (not http(s), credentials, a loopback,
 * private or link-local address named literally), so a token holder cannot make the gateway call
 * into its own network. Host names are not resolved here: on Node the delivery fetch resolves
 * them and checks every address against the same policy. `allowedHosts` lets tests and operators
 * name hosts that may be private.
 */
export const checkWebhookUrl = (input: string, allowedHosts: readonly AllowedHost[] = []): URL => {
  const checked = checkUrl(input, allowedHosts)
  if (checked.ok) return checked.url
  throw appError('URL_NOT_ALLOWED', REFUSALS[checked.reason], checked.reason === 'private_address' ? { setting: 'WEBHOOK_ALLOWED_HOSTS' } : undefined)
}
