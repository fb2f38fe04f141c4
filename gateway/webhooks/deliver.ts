import type { WebhookDeliveryRequest, WebhookDeliveryResult } from '../../shared/webhook-events.ts'
import { signWebhook } from './standard-webhooks.ts'

export type DeliverDeps = { fetch?: typeof fetch; clock?: () => number; timeoutMs?: number }

/**
 * One delivery attempt: POSTs `{ type, timestamp, data }` signed with the endpoint's secrets. Any
 * 2xx is delivered; redirects are not followed (a redirect could lead into a private network) and
 * count as failures, like timeouts and refused connections. Nothing of the receiver's answer is kept
 * but its status.
 */
export const deliverWebhook = async (request: WebhookDeliveryRequest, deps: DeliverDeps = {}): Promise<WebhookDeliveryResult> => {
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
    const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')
    return { delivered: false, error: timedOut ? 'timeout' : 'connection failed' }
  }
  // Drain the body so the connection can be reused; its content is not our business.
  await response.body?.cancel().catch(() => undefined)
  if (response.status >= 200 && response.status < 300) return { delivered: true, status: response.status }
  return { delivered: false, status: response.status, error: `HTTP ${response.status}` }
}
