import { SessionId } from '../../shared/sessions.ts'
import { Hono } from 'hono'
import { z } from 'zod'
import { ok } from '../../shared/errors.ts'
import type { Db } from '../db/connection.ts'
import { attachMessageId, cancelOtp, createOtp, findLatestPendingOtp, getOtp, verifyOtp } from '../otp/otp-store.ts'
import type { OtpRecord, OtpSendLimits } from '../otp/otp-store.ts'
import { acceptSend } from '../messages/accept-send.ts'
import type { AcceptDeps } from '../messages/accept-send.ts'
import type { MessageView } from '../outbox/send-queue.ts'
import { Idempotency } from './messages.ts'
import { jsonBody } from './json-body.ts'

const SendOtp = z.object({
  otpId: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/),
  destination: z.string().regex(/^\d{5,20}$/),
  jid: z.string().regex(/^\d{5,20}@s\.whatsapp\.net$/),
  codeHash: z.string().min(16).max(128),
  ttlSeconds: z.number().int().min(30).max(86_400),
  /** The rendered message: it holds the code, so it is sent and never stored or logged. */
  text: z.string().min(1).max(4096),
  idempotency: Idempotency
})

const OtpId = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/)
// Built once: a zod schema costs more to construct than to run.
const VerifyOtp = z.object({ codeHash: z.string().min(16).max(128), allowedSessions: z.array(SessionId).max(1000).optional() })
const LatestQuery = z.object({ sessionId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/), destination: z.string().regex(/^\d{5,20}$/) })

export type OtpRoutesDeps = AcceptDeps & { clock: () => number; limits?: Partial<OtpSendLimits>; wakeWebhooks?: () => void }

/** What the gateway sees of an OTP: never the code or its hash. */
export const otpView = (otp: OtpRecord) => ({
  otpId: otp.id,
  sessionId: otp.sessionId,
  to: `+${otp.destination}`,
  status: otp.status,
  attemptsLeft: Math.max(0, otp.maxAttempts - otp.attempts),
  messageId: otp.messageId,
  expiresAt: otp.expiresAt.toISOString(),
  createdAt: otp.createdAt.toISOString()
})

/** The message's progress, for the OTP it carries. */
const deliveryOf = ({ status, error, sentAt, deliveredAt, readAt, failedAt }: MessageView) => ({ status, error, sentAt, deliveredAt, readAt, failedAt })

export const otpRoutes = (deps: OtpRoutesDeps) => {
  const { db, clock, limits } = deps
  const store = { db, clock }
  // An OTP that is no longer pending may have just written its otp.status event: deliver it now.
  // A pending answer wrote none, so the benchmarked wrong-code path does not wake anything.
  const woke = <T extends { status: string }>(result: T): T => {
    if (result.status !== 'pending') deps.wakeWebhooks?.()
    return result
  }
  return new Hono()
    .post('/sessions/:id/otp', async c => {
      const sessionId = c.req.param('id')
      const input = await jsonBody(c, SendOtp)
      const sent = await acceptSend(deps, {
        sessionId,
        jid: input.jid,
        kind: 'otp',
        outgoing: { content: { text: input.text } },
        otpId: input.otpId,
        // Never sent late: past its TTL the message fails instead.
        notAfter: new Date(clock() + input.ttlSeconds * 1000),
        ...(input.idempotency ? { idempotency: input.idempotency } : {}),
        before: tx => void createOtp({ db: tx, clock }, { id: input.otpId, sessionId, destination: input.destination, codeHash: input.codeHash, ttlSeconds: input.ttlSeconds, limits }),
        after: (tx, message) => void attachMessageId({ db: tx, clock }, { otpId: input.otpId, messageId: message.messageId })
      })
      // A replayed Idempotency-Key answers with the OTP first sent under it.
      const otp = getOtp({ db, clock }, { otpId: sent.otpId ?? input.otpId })
      return c.json(ok(sent.replayed ? 'OTP already sent (Idempotency-Key)' : 'OTP sent', { ...otpView(otp), delivery: deliveryOf(sent) }), sent.replayed ? 200 : 201)
    })
    .get('/otp/latest', c => {
      const query = LatestQuery.parse(c.req.query())
      return c.json(ok('Latest pending OTP', otpView(findLatestPendingOtp(store, query))))
    })
    .get('/otp/:otpId', c => {
      const otp = woke(getOtp(store, { otpId: OtpId.parse(c.req.param('otpId')) }))
      return c.json(ok('OTP', { ...otpView(otp), delivery: otp.messageId ? deliveryOf(deps.queue.view(otp.sessionId, otp.messageId)) : null }))
    })
    .post('/otp/:otpId/verify', async c => {
      const { codeHash, allowedSessions } = await jsonBody(c, VerifyOtp)
      const otpId = OtpId.parse(c.req.param('otpId'))
      return c.json(ok('OTP checked', woke(verifyOtp(store, { otpId, codeHash, ...(allowedSessions ? { allowedSessions } : {}) }))))
    })
    .post('/otp/:otpId/cancel', c => c.json(ok('OTP canceled', otpView(woke(cancelOtp(store, { otpId: OtpId.parse(c.req.param('otpId')) }))))))
}
