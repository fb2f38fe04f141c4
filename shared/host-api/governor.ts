import { z } from '../zod.ts'
import { hostRoute } from './host-route.ts'

/** A session's own governor settings; an unset field takes the host's default (null clears them all). */
export const GovernorSettingsSchema = z
  .object({
    enabled: z.boolean().optional(),
    newChatsPerDay: z.number().int().min(0).max(10_000).optional(),
    newChatGapSeconds: z.number().int().min(0).max(3_600).optional()
  })
  .strict()

/** PUT /internal/sessions/:id/governor */
export const ConfigureGovernorRequest = z.object({ settings: GovernorSettingsSchema.nullable() })

/** A session's governor as the host shows it: its settings, what it counted today, the breaker and WhatsApp's cap. */
export const GovernorView = z.object({
  sessionId: z.string(),
  /** Whether first messages to new chats are paced and capped for this session. */
  enabled: z.boolean(),
  /** The session's own settings, or null when it takes the host's defaults. */
  settings: GovernorSettingsSchema.nullable(),
  /** New chats started today (UTC), OTPs included. */
  newChatsToday: z.number().int(),
  /** Today's cap on new chats for messages other than OTPs. */
  dailyCap: z.number().int(),
  /** The earliest moment the next first message (other than an OTP) may go to a new chat. */
  nextNewChatAt: z.string().nullable(),
  /** 463 refusals since the last accepted message. */
  refusalsInRow: z.number().int(),
  /** Set while the breaker keeps new chats paused. */
  paused: z.object({ since: z.string(), until: z.string(), reason: z.string() }).nullable(),
  /** WhatsApp's own new-chat cap as the server last reported it, or null if it never did. */
  whatsappCap: z
    .object({
      total: z.number().nullable(),
      used: z.number().nullable(),
      cycleEndsAt: z.string().nullable(),
      status: z.string().nullable(),
      reportedAt: z.string()
    })
    .nullable()
})
export type GovernorView = z.infer<typeof GovernorView>

export const GOVERNOR_ROUTES = {
  get: hostRoute({ method: 'GET', pattern: '/internal/sessions/:sessionId/governor', body: undefined, answer: GovernorView }),
  configure: hostRoute({ method: 'PUT', pattern: '/internal/sessions/:sessionId/governor', body: ConfigureGovernorRequest, answer: GovernorView }),
  resume: hostRoute({ method: 'POST', pattern: '/internal/sessions/:sessionId/governor/resume', body: undefined, answer: GovernorView })
}
