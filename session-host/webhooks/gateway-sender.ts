import { signRequest } from '../../shared/internal-signing.ts'
import type { SigningSecret } from '../../shared/internal-signing.ts'
import { WEBHOOK_DELIVERY_PATH } from '../../shared/host-api/webhook-delivery.ts'
import type { WebhookDeliveryRequest, WebhookDeliveryResult } from '../../shared/host-api/webhook-delivery.ts'
import type { SendWebhook } from './dispatcher.ts'

/**
 * Hands one delivery attempt to the gateway, which signs and posts it (the host never calls
 * receivers itself). The request is signed with the internal secret, as the gateway's are.
 */
export const gatewaySender =
  ({
    gatewayUrl,
    secret,
    fetch: doFetch = fetch,
    timeoutMs = 30_000,
    clock = Date.now
  }: {
    gatewayUrl: string
    secret: SigningSecret
    fetch?: typeof fetch
    timeoutMs?: number
    clock?: () => number
  }): SendWebhook =>
  async (request: WebhookDeliveryRequest): Promise<WebhookDeliveryResult> => {
    const body = JSON.stringify(request)
    const headers = await signRequest({ secret, method: 'POST', pathWithQuery: WEBHOOK_DELIVERY_PATH, body, timestamp: clock() })
    let response: Response
    try {
      response = await doFetch(new URL(WEBHOOK_DELIVERY_PATH, gatewayUrl), {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(timeoutMs)
      })
    } catch {
      return { delivered: false, error: 'gateway unreachable' }
    }
    const envelope = (await response.json().catch(() => undefined)) as
      | { success?: boolean; data?: WebhookDeliveryResult; error?: { code?: string } }
      | undefined
    if (envelope?.success === true && envelope.data) return envelope.data
    return { delivered: false, error: `gateway refused the delivery (${envelope?.error?.code ?? response.status})` }
  }
