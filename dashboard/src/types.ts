/** The public API's shapes the dashboard reads, as /api/openapi.json documents them. */
export type SessionStatus = 'connecting' | 'qr' | 'connected' | 'disconnected' | 'logged_out' | 'link_failed'
export type Session = {
  sessionId: string
  status: SessionStatus
  reason: string | null
  serverError: { code: number; text: string } | null
  phoneNumber: string | null
  lastSeen: string | null
  deviceLabel: string
  hostId: string | null
  restriction: { kind: string; until: string | null; enforcement: string | null } | null
}
export type Qr = { qr: string; qrImage: string; refreshed: boolean; timestamp: string }
export type Message = {
  sessionId: string
  to: string
  messageId: string
  kind: string
  status: string
  error: string | null
  timestamp: string
  sentAt: string | null
  deliveredAt: string | null
  readAt: string | null
  failedAt: string | null
}
export type Otp = {
  otpId: string
  sessionId: string
  to: string
  status: string
  attemptsLeft: number
  messageId: string | null
  expiresAt: string
  createdAt: string
  delivery?: { status: string } | null
}
export type Webhook = { url: string; events: string[] | null; secret?: string }
export type DeadLetter = {
  eventId: string
  sessionId: string
  type: string
  url: string
  attempts: number
  lastError: string | null
  createdAt: string
  deadAt: string | null
}
export type Delivery = {
  eventId: string
  eventType: string
  sessionId: string
  status: string
  attempts: number
  lastAttemptAt: string | null
  lastError: string | null
  lastStatusCode: number | null
  nextAttemptAt: string | null
  deliveredAt: string | null
  deadAt: string | null
  createdAt: string
}
export type Page<T> = { items: T[]; nextCursor: string | null }
export type Stats = {
  since: string
  until: string
  messages: Record<string, number>
  otps: Record<string, number>
  otpDelivery: Record<string, number>
}
export type Health = { mode: 'live' | 'sandbox'; host: string; database: string }
export const WEBHOOK_EVENTS = ['session.status', 'session.qr', 'message.received', 'message.status', 'otp.status'] as const
