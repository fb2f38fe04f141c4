import { randomBytes } from 'node:crypto'
import { DEFAULT_DEVICE_LABEL } from '../../shared/sessions.ts'
import type { SessionStatus } from '../../shared/sessions.ts'

/**
 * What the real session host answers, built the way its routes build it (session-host/routes/*.ts,
 * sessions/session-manager.ts `toView`, outbox/send-queue.ts `messageView`, routes/otp.ts
 * `otpView`), so a gateway test on the fake host reads the same fields the gateway reads in production.
 */

/** A session as `SessionManager.view` shows it; linked to `phoneNumber` when one is given. */
export const sessionView = (sessionId: string, { status = 'connected', phoneNumber = null }: { status?: SessionStatus; phoneNumber?: string | null } = {}) => ({
  sessionId,
  status,
  isConnected: status === 'connected',
  reason: null,
  serverError: null,
  phoneNumber,
  user: phoneNumber ? { id: `${phoneNumber}@s.whatsapp.net`, name: null } : null,
  lastSeen: status === 'connected' ? new Date().toISOString() : null,
  deviceLabel: DEFAULT_DEVICE_LABEL,
  restriction: null
})

/** A message id in the form Baileys' generateMessageID gives. */
const messageId = () => `3EB0${randomBytes(9).toString('hex').toUpperCase()}`

/** A message the host accepted and WhatsApp acknowledged, as `acceptSend` answers once it settled. */
export const sentMessage = (sessionId: string, jid: string, kind: string, { otpId = null }: { otpId?: string | null } = {}) => {
  const now = new Date().toISOString()
  return {
    sessionId,
    messageId: messageId(),
    to: `+${jid.split('@')[0]}`,
    kind,
    status: 'sent' as const,
    error: null,
    otpId,
    timestamp: now,
    sentAt: now,
    deliveredAt: null,
    readAt: null,
    failedAt: null,
    replayed: false
  }
}

type OtpInput = { otpId: string; sessionId: string; destination: string; ttlSeconds: number }

/** An OTP as the host's `otpView` shows it, with its message's delivery when it has one. */
export const otpView = (
  { otpId, sessionId, destination, ttlSeconds }: OtpInput,
  { status = 'pending', attemptsLeft = 5 }: { status?: string; attemptsLeft?: number } = {}
) => {
  const sent = sentMessage(sessionId, `${destination}@s.whatsapp.net`, 'otp', { otpId })
  return {
    otpId,
    sessionId,
    to: `+${destination}`,
    status,
    attemptsLeft,
    messageId: sent.messageId,
    expiresAt: new Date(Date.now() + ttlSeconds * 1000).toISOString(),
    createdAt: new Date().toISOString(),
    delivery: { status: sent.status, error: null, sentAt: sent.sentAt, deliveredAt: null, readAt: null, failedAt: null }
  }
}
