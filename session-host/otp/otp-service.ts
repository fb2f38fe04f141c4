import type { z } from 'zod'
import type { OtpStatus } from '../../shared/statuses.ts'
import type { CancelOtpRequest, LatestOtpQuery, OtpView, SendOtpRequest, VerifyAnswer, VerifyOtpRequest } from '../../shared/host-api/otp.ts'
import { checkRecipient } from '../messages/recipient-check.ts'
import type { RecipientCheck } from '../messages/recipient-check.ts'
import { acceptSend } from '../outbox/accept-send.ts'
import type { AcceptDeps } from '../outbox/accept-send.ts'
import { attachMessageId, cancelOtp, createOtp, findLatestPendingOtp, getOtp, verifyOtp } from './otp-store.ts'
import type { OtpDeps, OtpSendLimits } from './otp-store.ts'
import { otpView } from './otp-view.ts'
import type { OtpRecord } from './otp-view.ts'

export type OtpServiceDeps = AcceptDeps & {
  /** Refuses an OTP to a number that is not on WhatsApp before anything is recorded. */
  recipients?: RecipientCheck
  clock: () => number
  limits?: Partial<OtpSendLimits>
  /** An `otp.status` event was committed outside the send queue: deliver it now. */
  onEvent?: () => void
  /** Told of the statuses OTPs entered (pending when created) and of each verify's time; the metrics count them. */
  observe?: { statuses(statuses: readonly OtpStatus[]): void; verified(ms: number, status: OtpStatus): void }
}

export type OtpService = ReturnType<typeof createOtpService>

/**
 * What the OTP routes do, through the store's guarded statements (every change of an OTP and its
 * event is in session-host/otp/: here, the send queue's follower otp-follows-message.ts, and the
 * expiry job otp-expiry.ts); the routes only validate and answer.
 */
export const createOtpService = (deps: OtpServiceDeps) => {
  const { db, clock, limits } = deps
  const entered = (statuses: readonly OtpStatus[]): void => {
    deps.onEvent?.()
    deps.observe?.statuses(statuses)
  }
  const store: OtpDeps = { db, clock, onEvent: entered }
  return {
    /**
     * Stores the OTP (send limits checked) and queues its message in one transaction. A repeated
     * Idempotency-Key answers with the OTP first sent under it.
     */
    async send(sessionId: string, input: z.infer<typeof SendOtpRequest>): Promise<{ otp: OtpView; replayed: boolean }> {
      // Superseding or expiring earlier OTPs writes events inside the send's transaction: wake the
      // outbox once that transaction has committed, not from inside it.
      await checkRecipient(deps, sessionId, input.jid)
      let written: readonly OtpStatus[] = []
      // The OTP as the send's transaction left it; a replay reads the one first sent instead.
      let attached: OtpRecord | undefined
      const sent = await acceptSend(deps, {
        sessionId,
        jid: input.jid,
        kind: 'otp',
        outgoing: { content: { text: input.text } },
        otpId: input.otpId,
        // Never sent late: past its TTL the message fails instead.
        notAfter: new Date(clock() + input.ttlSeconds * 1000),
        ...(input.idempotency ? { idempotency: input.idempotency } : {}),
        before: async tx => {
          await createOtp(
            {
              db: tx,
              clock,
              onEvent: statuses => {
                written = statuses
              }
            },
            {
              id: input.otpId,
              sessionId,
              destination: input.destination,
              codeHash: input.codeHash,
              ttlSeconds: input.ttlSeconds,
              ...(limits ? { limits } : {})
            }
          )
        },
        after: async (tx, message) => {
          attached = await attachMessageId({ db: tx, clock }, { otpId: input.otpId, messageId: message.messageId })
        }
      })
      if (written.length > 0) entered(written)
      if (!sent.replayed) deps.observe?.statuses(['pending'])
      const otp = !sent.replayed && attached ? attached : await getOtp(store, { otpId: sent.otpId ?? input.otpId })
      return { otp: otpView(otp, sent), replayed: sent.replayed }
    },
    latest: async (query: z.infer<typeof LatestOtpQuery>): Promise<OtpView> => otpView(await findLatestPendingOtp(store, query)),
    async get(otpId: string): Promise<OtpView> {
      const otp = await getOtp(store, { otpId })
      return otpView(otp, otp.messageId ? await deps.queue.view(otp.sessionId, otp.messageId) : null)
    },
    async verify(otpId: string, { codeHash, allowedSessions }: z.infer<typeof VerifyOtpRequest>): Promise<VerifyAnswer> {
      const started = clock()
      const answer = await verifyOtp(store, { otpId, codeHash, ...(allowedSessions ? { allowedSessions } : {}) })
      deps.observe?.verified(clock() - started, answer.status)
      return answer
    },
    cancel: async (otpId: string, { allowedSessions }: z.infer<typeof CancelOtpRequest>): Promise<OtpView> =>
      otpView(await cancelOtp(store, { otpId, ...(allowedSessions ? { allowedSessions } : {}) }))
  }
}
