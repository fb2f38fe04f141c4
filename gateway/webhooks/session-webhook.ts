import { z } from '@hono/zod-openapi'
import { WEBHOOK_EVENT_TYPES } from '../../shared/webhook-events.ts'
import type { GatewayConfig } from '../env/config.ts'
import { generateWebhookSecret, isWebhookSecret } from './standard-webhooks.ts'
import { checkWebhookUrl } from './webhook-url.ts'

/** A session's webhook as callers set it (in the create body, or with PUT …/webhook). */
export const WebhookInput = z
  .object({
    url: z.string().max(2048).openapi({ example: 'https://example.com/wa-webhooks' }),
    events: z.array(z.enum(WEBHOOK_EVENT_TYPES)).min(1).optional().openapi({ description: 'Event types to send; all when omitted.' }),
    secret: z
      .string()
      .refine(isWebhookSecret, 'must be whsec_ followed by 24 to 64 base64 bytes')
      .optional()
      .openapi({ description: 'Your own `whsec_…` signing secret; one is generated (and shown once) when omitted.' })
  })
  .openapi('WebhookInput')

export const WebhookView = z
  .object({
    url: z.string(),
    events: z.array(z.string()).nullable(),
    secret: z.string().optional().openapi({ description: 'Only in the answer that generated it: store it, it is not shown again.' })
  })
  .openapi('Webhook')

/**
 * What the host stores for a session webhook. Without a caller's secret a fresh one is made: the
 * host uses it when rotating or when the endpoint has no secret yet, and says whether it did.
 */
export const prepareWebhook = (input: z.infer<typeof WebhookInput>, config: GatewayConfig, options: { rotate?: boolean } = {}) => {
  checkWebhookUrl(input.url, config.WEBHOOK_ALLOWED_HOSTS)
  const generated = input.secret ? undefined : generateWebhookSecret()
  const newSecret = input.secret ?? (options.rotate ? generated : undefined)
  return {
    host: { url: input.url, events: input.events ?? null, ...(newSecret ? { newSecret } : {}), ...(generated ? { secretIfNone: generated } : {}) },
    generated
  }
}
