import { z } from '../zod.ts'
import { OtpId, PhoneDigits, SessionId, UserJid } from '../ids.ts'
import { OTP_TTL_SECONDS } from '../otp-policy.ts'
import { OTP_STATUSES } from '../statuses.ts'
import { hostRoute } from './host-route.ts'
import { Idempotency, MessageDelivery } from './messages.ts'
import { ListQuery, page } from './list-page.ts'

const CodeHash = z.string().min(16).max(128)
/** The sessions the token may use; absent when it may use all. */
const AllowedSessions = z.array(SessionId).max(1000).optional()

/** POST /internal/sessions/:id/otp: the gateway made the code, hashed it and rendered the text. */
export const SendOtpRequest = z.object({
  otpId: OtpId,
  destination: PhoneDigits,
  jid: UserJid,
  codeHash: CodeHash,
  ttlSeconds: z.number().int().min(OTP_TTL_SECONDS.min).max(OTP_TTL_SECONDS.max),
  /** The rendered message: it holds the code, so it is sent and never stored or logged. */
  text: z.string().min(1).max(4096),
  idempotency: Idempotency
})

/** POST /internal/otp/:otpId/verify */
export const VerifyOtpRequest = z.object({ codeHash: CodeHash, allowedSessions: AllowedSessions })

/** POST /internal/otp/:otpId/cancel */
export const CancelOtpRequest = z.object({ allowedSessions: AllowedSessions })

/** GET /internal/otp/latest?sessionId&destination */
export const LatestOtpQuery = z.object({ sessionId: SessionId, destination: PhoneDigits })

/** An OTP as the host shows it: never the code or its hash. */
export const OtpView = z.object({
  otpId: z.string(),
  sessionId: z.string(),
  to: z.string(),
  status: z.enum(OTP_STATUSES),
  attemptsLeft: z.number(),
  messageId: z.string().nullable(),
  expiresAt: z.string(),
  createdAt: z.string(),
  /** Where the message carrying the code stands; null before it is queued, absent in lookups. */
  delivery: MessageDelivery.nullable().optional()
})
export type OtpView = z.infer<typeof OtpView>

/** A verify's verdict. */
export const VerifyAnswer = z.object({ otpId: z.string(), valid: z.boolean(), status: z.enum(OTP_STATUSES), attemptsLeft: z.number() })
export type VerifyAnswer = z.infer<typeof VerifyAnswer>

/** GET /internal/otp: a page of OTPs, newest first. */
export const OtpListQuery = ListQuery.extend({ status: z.enum(OTP_STATUSES).optional() })

/** The OTP routes of the host's internal API. */
export const OTP_ROUTES = {
  send: hostRoute({ method: 'POST', pattern: '/internal/sessions/:sessionId/otp', body: SendOtpRequest, answer: OtpView }),
  /** The query names the session and the destination (LatestOtpQuery). */
  latest: hostRoute({ method: 'GET', pattern: '/internal/otp/latest', body: undefined, answer: OtpView }),
  list: hostRoute({ method: 'GET', pattern: '/internal/otp', body: undefined, answer: page(OtpView) }),
  get: hostRoute({ method: 'GET', pattern: '/internal/otp/:otpId', body: undefined, answer: OtpView }),
  verify: hostRoute({ method: 'POST', pattern: '/internal/otp/:otpId/verify', body: VerifyOtpRequest, answer: VerifyAnswer }),
  cancel: hostRoute({ method: 'POST', pattern: '/internal/otp/:otpId/cancel', body: CancelOtpRequest, answer: OtpView })
}
