import { z } from '@hono/zod-openapi'
import { ERROR_CODES } from '../../shared/errors.ts'
import { SESSION_ID_PATTERN } from '../../shared/ids.ts'
import { LINK_FAILURE_REASONS, SESSION_STATUSES } from '../../shared/sessions.ts'
import { MESSAGE_STATUSES } from '../../shared/statuses.ts'

/** Shared OpenAPI pieces: the envelope, the error body and the path parameters. */
export const SessionIdParam = z
  .string()
  .regex(SESSION_ID_PATTERN)
  .openapi({ param: { name: 'sessionId', in: 'path' }, example: 'shop-1' })

export const ErrorBody = z
  .object({
    success: z.literal(false),
    message: z.string(),
    error: z.object({
      code: z.enum(Object.keys(ERROR_CODES) as [keyof typeof ERROR_CODES, ...(keyof typeof ERROR_CODES)[]]),
      details: z.record(z.string(), z.unknown()).optional(),
      requestId: z.string().optional()
    })
  })
  .openapi('Error')

export const envelope = <T extends z.ZodType>(data: T) => z.object({ success: z.literal(true), message: z.string(), data })

export const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } })

/** The error responses every authenticated route can give, described once (a body over the cap: 413; a body of another type: 415). */
export const errorResponses = (...statuses: number[]) =>
  Object.fromEntries(
    [...new Set([400, 401, 403, 413, 415, 429, 502, 503, ...statuses])].map(status => [
      status,
      json(
        ErrorBody,
        Object.entries(ERROR_CODES)
          .filter(([, spec]) => spec.status === status)
          .map(([code]) => code)
          .join(', ') || 'Error'
      )
    ])
  )

export const SessionView = z
  .object({
    sessionId: z.string(),
    status: z.enum(SESSION_STATUSES).openapi({
      description: '`link_failed`: the session could not link and waits for the operator (restart it, or request a new pairing code); `reason` says why'
    }),
    reason: z.enum(LINK_FAILURE_REASONS).nullable().openapi({
      description:
        "Set with `link_failed`: `refs_exhausted` (no QR was scanned in time), `pairing_code_expired` (the code was not entered in time), `pairing_refused` (WhatsApp refused to finish the code link; see `serverError`), `passkey_required` (the account must confirm new links with a passkey, which only WhatsApp's own clients can do)"
    }),
    serverError: z
      .object({ code: z.number().int(), text: z.string() })
      .nullable()
      .openapi({ description: 'What WhatsApp answered when it refused the link (`pairing_refused`), else null' }),
    isConnected: z.boolean().openapi({ description: "`status === 'connected'` (the original API's field)" }),
    phoneNumber: z.string().nullable(),
    user: z
      .object({ id: z.string().openapi({ example: '6281234567890:1@s.whatsapp.net' }), name: z.string().nullable() })
      .nullable()
      .openapi({ description: 'The linked WhatsApp account: its device JID and push name, or null before linking' }),
    lastSeen: z.string().nullable().openapi({ description: 'When the session was last connected (now, while it is), ISO 8601; null if it never was' }),
    deviceLabel: z.string().openapi({ description: 'The name the phone lists this session under (Settings → Linked devices)' }),
    hostId: z
      .string()
      .nullable()
      .openapi({ description: 'The session host running this session now (its HOST_ID); null for a moment while another host takes it over' }),
    restriction: z
      .object({
        kind: z.literal('reachout_timelock'),
        until: z.string().nullable().openapi({ description: 'When WhatsApp lifts it (ISO 8601)' }),
        enforcement: z.string().nullable().openapi({ description: "WhatsApp's enforcement type, e.g. DEFAULT or BIZ_QUALITY" })
      })
      .nullable()
      .openapi('SessionRestriction', {
        description: 'Set while WhatsApp limits the account (the reach-out time-lock: no new chats; sends to new numbers fail with 463), else null.'
      })
  })
  .openapi('Session')

/** A destination as people type it: local (08…), national, international, or a WhatsApp JID. */
export const Recipient = z.string().min(3).max(64).openapi({ example: '081234567890' })

/**
 * A required JSON request body. Forms are taken too (http/original-api.ts turns them into JSON
 * before validation) and the OpenAPI document lists them beside JSON (`withFormBodies`); declaring
 * both here would make the framework validate a JSON body as a form as well.
 */
export const jsonRequest = <T extends z.ZodType>(schema: T) => ({ required: true, content: { 'application/json': { schema } } })

const instant = z.string().nullable()

/** Where a message stands on its way to the recipient, with the time of each step. */
export const MessageDelivery = z.object({
  status: z.enum(MESSAGE_STATUSES).openapi({
    description: '`queued` while the session reconnects; `sent` once WhatsApp acknowledged it; `delivered` and `read` from receipts; `failed` with `error`'
  }),
  error: z.string().nullable().openapi({ description: 'Why it failed, e.g. `whatsapp_refused_463: …` or `expired_before_send: …`' }),
  sentAt: instant,
  deliveredAt: instant,
  readAt: instant,
  failedAt: instant
})

/** A message as the send routes answer it (text, media, rich), with where its delivery stands. */
export const SentMessage = z
  .object({
    sessionId: z.string(),
    to: z.string().openapi({ example: '+6281234567890' }),
    messageId: z.string(),
    kind: z.string(),
    otpId: z.string().nullable(),
    timestamp: z.string()
  })
  .extend(MessageDelivery.shape)
  .openapi('Message')
