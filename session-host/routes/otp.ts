import { Hono } from 'hono'
import { z } from 'zod'
import { ok } from '../../shared/errors.ts'
import type { Db } from '../db/connection.ts'
import { attachMessageId, cancelOtp, createOtp, findLatestPendingOtp, getOtp, markOtpFailed, verifyOtp } from '../otp/otp-store.ts'
import type { OtpRecord, OtpSendLimits } from '../otp/otp-store.ts'
import type { SessionManager } from '../sessions/session-manager.ts'
import { jsonBody } from './json-body.ts'

const SendOtp = z.object({
  otpId: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/),
  destination: z.string().regex(/^\d{5,20}$/),
  jid: z.string().regex(/^\d{5,20}@s\.whatsapp\.net$/),
  codeHash: z.string().min(16).max(128),
  ttlSeconds: z.number().int().min(30).max(86_400),
  /** The rendered message: it holds the code, so it is sent and never stored or logged. */
  text: z.string().min(1).max(4096)
})

const OtpId = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/)
// Built once: a zod schema costs more to construct than to run.
const VerifyOtp = z.object({ codeHash: z.string().min(16).max(128), allowedSessions: z.array(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/)).max(1000).optional() })
const LatestQuery = z.object({ sessionId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/), destination: z.string().regex(/^\d{5,20}$/) })

export type OtpRoutesDeps = { db: Db; sessions: SessionManager; clock: () => number; limits?: Partial<OtpSendLimits> }

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

export const otpRoutes = ({ db, sessions, clock, limits }: OtpRoutesDeps) => {
  const deps = { db, clock }
  return new Hono()
    .post('/sessions/:id/otp', async c => {
      const sessionId = c.req.param('id')
      const input = await jsonBody(c, SendOtp)
      // Refuse before recording: a code that cannot go out now must not count against the limits.
      const socket = sessions.socket(sessionId)
      const otp = createOtp(deps, { id: input.otpId, sessionId, destination: input.destination, codeHash: input.codeHash, ttlSeconds: input.ttlSeconds, limits })
      try {
        const sent = await socket.sendMessage(input.jid, { text: input.text })
        const withMessage = sent?.key.id ? attachMessageId(deps, { otpId: otp.id, messageId: sent.key.id }) : otp
        return c.json(ok('OTP sent', otpView(withMessage)), 201)
      } catch (error) {
        markOtpFailed(deps, { otpId: otp.id })
        throw error
      }
    })
    .get('/otp/latest', c => {
      const query = LatestQuery.parse(c.req.query())
      return c.json(ok('Latest pending OTP', otpView(findLatestPendingOtp(deps, query))))
    })
    .get('/otp/:otpId', c => c.json(ok('OTP', otpView(getOtp(deps, { otpId: OtpId.parse(c.req.param('otpId')) })))))
    .post('/otp/:otpId/verify', async c => {
      const { codeHash, allowedSessions } = await jsonBody(c, VerifyOtp)
      const otpId = OtpId.parse(c.req.param('otpId'))
      return c.json(ok('OTP checked', verifyOtp(deps, { otpId, codeHash, ...(allowedSessions ? { allowedSessions } : {}) })))
    })
    .post('/otp/:otpId/cancel', c => c.json(ok('OTP canceled', otpView(cancelOtp(deps, { otpId: OtpId.parse(c.req.param('otpId')) })))))
}
