import { z } from '../zod.ts'
import { SessionId } from '../ids.ts'
import { DeviceLabel, LINK_FAILURE_REASONS, SESSION_STATUSES } from '../sessions.ts'
import { hostRoute } from './host-route.ts'
import { EndpointRequest } from './webhooks.ts'

/** POST /internal/sessions: the session, its webhook (stored before it starts) and its device name. */
export const CreateSessionRequest = z.object({ sessionId: SessionId, webhook: EndpointRequest.optional(), deviceLabel: DeviceLabel.optional() })

/** POST /internal/sessions/:id/pairing-code: the account's number, digits only. */
export const PairingCodeRequest = z.object({ phoneNumber: z.string().regex(/^\d{6,15}$/) })
export const PairingCodeAnswer = z.object({ code: z.string() })

/** A session as the host shows it. */
export const SessionView = z.object({
  sessionId: z.string(),
  status: z.enum(SESSION_STATUSES),
  /** The original API's flag: `status === 'connected'`. */
  isConnected: z.boolean(),
  /** Why the session stopped in `link_failed`; null in any other status. */
  reason: z.enum(LINK_FAILURE_REASONS).nullable(),
  /** What WhatsApp answered when it refused the link (`pairing_refused`), else null. */
  serverError: z.object({ code: z.number().int(), text: z.string() }).nullable(),
  phoneNumber: z.string().nullable(),
  /** The linked account: its device JID and push name (the original API's `user`), or null. */
  user: z.object({ id: z.string(), name: z.string().nullable() }).nullable(),
  /** When the session was last connected (now, while it is), or null if it never was. */
  lastSeen: z.string().nullable(),
  deviceLabel: z.string(),
  /** Set while WhatsApp limits the account (the reach-out time-lock). */
  restriction: z.object({ kind: z.literal('reachout_timelock'), until: z.string().nullable(), enforcement: z.string().nullable() }).nullable(),
  /** The session host running the session now (its HOST_ID), or null while none holds it (a failover). */
  hostId: z.string().nullable()
})
export type SessionView = z.infer<typeof SessionView>
export type SessionRestriction = NonNullable<SessionView['restriction']>

/** GET /internal/sessions/:id/qr */
export const QrAnswer = z.object({ qr: z.string(), qrImage: z.string(), refreshed: z.boolean(), timestamp: z.string() })

/** GET /internal/sessions/:id/link-state: what the QR page polls. */
export const LinkStateAnswer = SessionView.pick({ sessionId: true, status: true, reason: true, phoneNumber: true }).extend({
  qrImage: z.string().nullable(),
  qrRefreshed: z.boolean()
})

/** DELETE /internal/sessions/:id */
/**
 * A deleted session, with what went with it never done: the messages not yet sent (queued or
 * sending), the OTPs still pending, and the webhook deliveries still pending (the session's own
 * `logged_out` event among them), all deleted with the session.
 */
export const SessionDeletedAnswer = z.object({
  sessionId: z.string(),
  discarded: z.object({ messages: z.number().int(), otps: z.number().int(), webhookDeliveries: z.number().int() })
})
export type SessionDeletedAnswer = z.infer<typeof SessionDeletedAnswer>

/** The session routes of the host's internal API. */
export const SESSION_ROUTES = {
  create: hostRoute({ method: 'POST', pattern: '/internal/sessions', body: CreateSessionRequest, answer: SessionView }),
  list: hostRoute({ method: 'GET', pattern: '/internal/sessions', body: undefined, answer: z.array(SessionView) }),
  get: hostRoute({ method: 'GET', pattern: '/internal/sessions/:sessionId', body: undefined, answer: SessionView }),
  qr: hostRoute({ method: 'GET', pattern: '/internal/sessions/:sessionId/qr', body: undefined, answer: QrAnswer }),
  linkState: hostRoute({ method: 'GET', pattern: '/internal/sessions/:sessionId/link-state', body: undefined, answer: LinkStateAnswer }),
  pairingCode: hostRoute({ method: 'POST', pattern: '/internal/sessions/:sessionId/pairing-code', body: PairingCodeRequest, answer: PairingCodeAnswer }),
  restart: hostRoute({ method: 'PUT', pattern: '/internal/sessions/:sessionId/restart', body: undefined, answer: SessionView }),
  remove: hostRoute({ method: 'DELETE', pattern: '/internal/sessions/:sessionId', body: undefined, answer: SessionDeletedAnswer })
}
