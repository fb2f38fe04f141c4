import type { AllowedHost } from '../../shared/allowed-hosts.ts'
import { AppError } from '../../shared/errors.ts'
import type { WebhookDeliveryRequest, WebhookDeliveryResult } from '../../shared/host-api/webhook-delivery.ts'
import { signWebhook } from './standard-webhooks.ts'
import { checkWebhookUrl } from './webhook-url.ts'

export type DeliverDeps = {
  /** The global fetch by default; node.ts passes one that checks the addresses host names resolve to. */
  fetch?: typeof fetch
  clock?: () => number
  timeoutMs?: number
  /** WEBHOOK_ALLOWED_HOSTS: hosts that may be delivered to although they are loopback or private. */
  allowedHosts?: readonly AllowedHost[]
}

/** Whether a fetch failed because the policy refused the address (the fetch's error, or its cause). */
const refusedAddress = (error: unknown): boolean => {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 5; cause = cause.cause, depth++) {
    if (cause instanceof AppError && cause.code === 'URL_NOT_ALLOWED') return true
  }
  return false
}

/**
 * One delivery attempt: POSTs `{ type, timestamp, data }` signed with the endpoint's secrets. Any
 * 2xx is delivered; redirects are not followed (a redirect could lead into a private network) and
 * count as failures, like timeouts, refused connections and addresses the policy refuses (checked
 * again here for URLs stored before the check, or set by the host's WEBHOOK_URL). Nothing of the
 * receiver's answer is kept but its status.
 */
export const deliverWebhook = async (request: WebhookDeliveryRequest, deps: DeliverDeps = {}): Promise<WebhookDeliveryResult> => {
  try {
    checkWebhookUrl(request.url, deps.allowedHosts)
  } catch {
    return { delivered: false, error: 'address not allowed' }
  }
  const body = JSON.stringify({ type: request.type, timestamp: request.timestamp, data: request.data })
  const headers = await signWebhook({ id: request.eventId, timestamp: (deps.clock ?? Date.now)(), body, secrets: request.secrets })
  let response: Response
  try {
    response = await (deps.fetch ?? fetch)(request.url, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json', 'user-agent': 'wa-otp-gateway-webhooks' },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(deps.timeoutMs ?? 10_000)
    })
  } catch (error) {
    if (refusedAddress(error)) return { delivered: false, error: 'address not allowed' }
    const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')
    return { delivered: false, error: timedOut ? 'timeout' : 'connection failed' }
  }
  // Drain the body so the connection can be reused; its content is not our business.
  await response.body?.cancel().catch(() => undefined)
  if (response.status >= 200 && response.status < 300) return { delivered: true, status: response.status }
  return { delivered: false, status: response.status, error: `HTTP ${response.status}` }
}
