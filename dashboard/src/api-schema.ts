/* Generated from GET /api/openapi.json by `npm run api-types` (scripts/dashboard-api-types.ts). Do not edit. */

/**
 * Set while WhatsApp limits the account (the reach-out time-lock: no new chats; sends to new numbers fail with 463), else null.
 */
export type SessionRestriction = {
  kind: 'reachout_timelock'
  /**
   * When WhatsApp lifts it (ISO 8601)
   */
  until: string | null
  /**
   * WhatsApp's enforcement type, e.g. DEFAULT or BIZ_QUALITY
   */
  enforcement: string | null
} | null
/**
 * This session's own settings: `enabled` (false: its sends are neither paced nor capped), `newChatsPerDay` (in place of the cap that grows with the account's age), `newChatGapSeconds` (the mean gap between first messages to new chats, jittered ±50%). Unset fields take the host's SEND_GOVERNOR_* defaults.
 */
export type SendGovernorSettings = {
  enabled?: boolean
  newChatsPerDay?: number
  newChatGapSeconds?: number
} | null

export interface ApiSchemas {
  FleetHost: FleetHost
  Error: Error
  SessionRestriction: SessionRestriction
  Webhook: Webhook
  Session: Session
  WebhookInput: WebhookInput
  SendGovernor: SendGovernor
  SendGovernorSettings: SendGovernorSettings
  Otp: Otp
  OtpVerification: OtpVerification
  OtpPage: OtpPage
  MessagePage: MessagePage
  Message: Message
  NumberCheck: NumberCheck
  SandboxMessage: SandboxMessage
  DeadLetter: DeadLetter
  WebhookDeliveryPage: WebhookDeliveryPage
  WebhookDelivery: WebhookDelivery
  Stats: Stats
  Qr: {
    qr: string
    qrImage: string
    /**
     * The same PNG data URL as `qrImage` (the original API's name)
     */
    qrCode: string
    /**
     * When this code was made
     */
    timestamp: string
    instructions: string
    /**
     * WhatsApp rotated this code after the phone scanned it: scan the code shown now again
     */
    refreshed: boolean
  }
  Health: {
    gateway: 'ok'
    host: 'ok' | 'unreachable'
    /**
     * The host's database: `unknown` while the host is unreachable
     */
    database: 'ok' | 'unwritable' | 'unknown'
    mode: 'live' | 'sandbox'
    sessions: {
      [k: string]: number
    }
    /**
     * The session hosts sharing the database (one, on SQLite)
     */
    hosts: FleetHost[]
  }
}
export interface FleetHost {
  /**
   * The host's HOST_ID
   */
  id: string
  /**
   * `up` while it heartbeats; `stopping` while it hands its sessions over; `stopped` after a clean stop; `unreachable` when it went silent (its sessions move to the others once its leases run out)
   */
  status: 'up' | 'stopping' | 'stopped' | 'unreachable'
  /**
   * How many sessions it runs now
   */
  sessions: number
  /**
   * Where the gateway reaches it: shown to an `admin` token only
   */
  url?: string
}
export interface Error {
  success: false
  message: string
  error: {
    code:
      | 'VALIDATION_ERROR'
      | 'INVALID_JSON'
      | 'MALFORMED_REQUEST'
      | 'UNAUTHORIZED'
      | 'TOKEN_EXPIRED'
      | 'INTERNAL_AUTH_FAILED'
      | 'INSUFFICIENT_SCOPE'
      | 'SESSION_FORBIDDEN'
      | 'NOT_FOUND'
      | 'SESSION_NOT_FOUND'
      | 'OTP_NOT_FOUND'
      | 'MESSAGE_NOT_FOUND'
      | 'SESSION_EXISTS'
      | 'SESSION_ALREADY_CONNECTED'
      | 'OTP_NOT_PENDING'
      | 'REQUEST_TIMEOUT'
      | 'PAYLOAD_TOO_LARGE'
      | 'UNSUPPORTED_MEDIA_TYPE'
      | 'HEADERS_TOO_LARGE'
      | 'INVALID_PHONE_NUMBER'
      | 'NOT_ON_WHATSAPP'
      | 'IDEMPOTENCY_KEY_REUSED'
      | 'URL_NOT_ALLOWED'
      | 'PAIRING_CODE_REFUSED'
      | 'RATE_LIMITED'
      | 'SEND_PACED'
      | 'NEW_CHAT_CAP_REACHED'
      | 'NEW_CHATS_PAUSED'
      | 'INTERNAL_ERROR'
      | 'HOST_UNAVAILABLE'
      | 'DATABASE_UNAVAILABLE'
      | 'SESSION_NOT_CONNECTED'
      | 'SESSION_MOVED'
      | 'URL_FETCH_FAILED'
    details?: {
      [k: string]: unknown
    }
    requestId?: string
  }
}
export interface Webhook {
  url: string
  events: string[] | null
  /**
   * Only in the answer that generated it: store it, it is not shown again.
   */
  secret?: string
}
export interface Session {
  sessionId: string
  /**
   * `link_failed`: the session could not link and waits for the operator (restart it, or request a new pairing code); `reason` says why
   */
  status: 'connecting' | 'qr' | 'connected' | 'disconnected' | 'logged_out' | 'link_failed'
  /**
   * Set with `link_failed`: `refs_exhausted` (no QR was scanned in time), `pairing_code_expired` (the code was not entered in time), `pairing_refused` (WhatsApp refused to finish the code link; see `serverError`), `passkey_required` (the account must confirm new links with a passkey, which only WhatsApp's own clients can do)
   */
  reason: 'refs_exhausted' | 'pairing_code_expired' | 'pairing_refused' | 'passkey_required' | null
  /**
   * What WhatsApp answered when it refused the link (`pairing_refused`), else null
   */
  serverError: {
    code: number
    text: string
  } | null
  /**
   * `status === 'connected'` (the original API's field)
   */
  isConnected: boolean
  phoneNumber: string | null
  /**
   * The linked WhatsApp account: its device JID and push name, or null before linking
   */
  user: {
    id: string
    name: string | null
  } | null
  /**
   * When the session was last connected (now, while it is), ISO 8601; null if it never was
   */
  lastSeen: string | null
  /**
   * The name the phone lists this session under (Settings → Linked devices)
   */
  deviceLabel: string
  /**
   * The session host running this session now (its HOST_ID); null for a moment while another host takes it over
   */
  hostId: string | null
  restriction: SessionRestriction
}
export interface WebhookInput {
  url: string
  /**
   * Event types to send; all when omitted.
   *
   * @minItems 1
   */
  events?: [
    'session.status' | 'session.qr' | 'message.received' | 'message.status' | 'otp.status',
    ...('session.status' | 'session.qr' | 'message.received' | 'message.status' | 'otp.status')[]
  ]
  /**
   * Your own `whsec_…` signing secret; one is generated (and shown once) when omitted.
   */
  secret?: string
}
export interface SendGovernor {
  sessionId: string
  enabled: boolean
  settings: {
    enabled?: boolean
    newChatsPerDay?: number
    newChatGapSeconds?: number
  } | null
  newChatsToday: number
  dailyCap: number
  nextNewChatAt: string | null
  refusalsInRow: number
  paused: {
    since: string
    until: string
    reason: string
  } | null
  whatsappCap: {
    total: number | null
    used: number | null
    cycleEndsAt: string | null
    status: string | null
    reportedAt: string
  } | null
}
export interface Otp {
  otpId: string
  sessionId: string
  to: string
  status: 'pending' | 'approved' | 'expired' | 'max_attempts_reached' | 'canceled' | 'failed'
  attemptsLeft: number
  messageId: string | null
  expiresAt: string
  createdAt: string
  /**
   * Where the message carrying the code stands (queued, sent, delivered, read or failed, with times); null before it is queued
   */
  delivery?: {
    /**
     * `queued` while the session reconnects; `sent` once WhatsApp acknowledged it; `delivered` and `read` from receipts; `failed` with `error`
     */
    status: 'queued' | 'sending' | 'sent' | 'delivered' | 'read' | 'failed'
    /**
     * Why it failed, e.g. `whatsapp_refused_463: …` or `expired_before_send: …`
     */
    error: string | null
    sentAt: string | null
    deliveredAt: string | null
    readAt: string | null
    failedAt: string | null
  } | null
}
export interface OtpVerification {
  otpId: string
  valid: boolean
  status: 'pending' | 'approved' | 'expired' | 'max_attempts_reached' | 'canceled' | 'failed'
  attemptsLeft: number
}
export interface OtpPage {
  items: Otp[]
  /**
   * Pass as `cursor` for the next page; null on the last
   */
  nextCursor: string | null
  minItems?: 0
}
export interface MessagePage {
  items: (Message & {
    createdAt: string
  })[]
  /**
   * Pass as `cursor` for the next page; null on the last
   */
  nextCursor: string | null
  minItems?: 0
}
export interface Message {
  sessionId: string
  to: string
  messageId: string
  kind: string
  otpId: string | null
  timestamp: string
  /**
   * `queued` while the session reconnects; `sent` once WhatsApp acknowledged it; `delivered` and `read` from receipts; `failed` with `error`
   */
  status: 'queued' | 'sending' | 'sent' | 'delivered' | 'read' | 'failed'
  /**
   * Why it failed, e.g. `whatsapp_refused_463: …` or `expired_before_send: …`
   */
  error: string | null
  sentAt: string | null
  deliveredAt: string | null
  readAt: string | null
  failedAt: string | null
}
export interface NumberCheck {
  input: string
  e164: string
  jid: string
  onWhatsApp: boolean
}
export interface SandboxMessage {
  messageId: string
  sessionId: string | null
  to: string
  /**
   * The error the emulated server refused the message with, if it did
   */
  refusedWith: string | null
  /**
   * The text or caption the recipient decrypted
   */
  text: string | null
  /**
   * Each message the recipient decrypted (WhatsApp protobuf as JSON)
   */
  received: {
    [k: string]: unknown
  }[]
}
export interface DeadLetter {
  eventId: string
  sessionId: string
  type: string
  endpoint: 'session' | 'global'
  url: string
  attempts: number
  lastError: string | null
  createdAt: string
  deadAt: string | null
}
export interface WebhookDeliveryPage {
  items: WebhookDelivery[]
  /**
   * Pass as `cursor` for the next page; null on the last
   */
  nextCursor: string | null
  minItems?: 0
}
export interface WebhookDelivery {
  eventId: string
  eventType: string
  sessionId: string
  endpointId: string
  status: 'pending' | 'delivered' | 'dead'
  attempts: number
  lastAttemptAt: string | null
  lastError: string | null
  lastStatusCode: number | null
  nextAttemptAt: string | null
  deliveredAt: string | null
  deadAt: string | null
  createdAt: string
}
export interface Stats {
  since: string
  until: string
  messages: {
    queued: number
    sending: number
    sent: number
    delivered: number
    read: number
    failed: number
  }
  otps: {
    pending: number
    approved: number
    expired: number
    max_attempts_reached: number
    canceled: number
    failed: number
  }
  otpDelivery: {
    sent: number
    delivered: number
    read: number
    failed: number
  }
}
