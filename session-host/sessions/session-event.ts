import type { NewChatMessageCapInfo, WAMessage } from '@whiskeysockets/baileys'
import type { SessionRestriction } from '../../shared/host-api/sessions.ts'
import type { LinkFailure, SessionStatus } from '../../shared/sessions.ts'
import type { MessageStatus } from '../../shared/statuses.ts'
import type { LidMapping } from './lid-mappings.ts'

/** The host closed the connection because it answered keep-alive pings but nothing else. */
export type CloseReason = 'unresponsive'

/** What a session tells the host, in order: the send queue, the sandbox and the webhook journal listen. */
export type SessionEvent =
  | {
      type: 'status'
      sessionId: string
      status: SessionStatus
      phoneNumber?: string
      closeCode?: number
      /** Why the host closed the connection itself: `unresponsive`, the liveness watchdog's verdict. */
      closeReason?: CloseReason
      linkFailure?: LinkFailure
      restriction?: SessionRestriction
    }
  /** A QR to show; `refreshed` once WhatsApp rotated its secret after a scan (scan it again). */
  | { type: 'qr'; sessionId: string; qr: string; refreshed: boolean }
  | { type: 'messages'; sessionId: string; messages: WAMessage[] }
  /** The server's ack of a message we sent: accepted, or refused with an error code. */
  | { type: 'message-ack'; sessionId: string; messageId: string; error?: string }
  /** A receipt or a refusal Baileys reported for a message we sent. */
  | { type: 'message-status'; sessionId: string; messageId: string; status: MessageStatus; error?: string }
  /** WhatsApp limits whom the account may message (the reach-out time-lock). */
  | { type: 'restriction'; sessionId: string; restriction: SessionRestriction | undefined; status: SessionStatus; phoneNumber?: string }
  /** WhatsApp's cap on new chats for the account changed (`message-capping.update`). */
  | { type: 'new-chat-cap'; sessionId: string; cap: NewChatMessageCapInfo }
  /** Numbers behind LIDs that Baileys learnt (stored in lid_mappings, in order with the messages). */
  | { type: 'lid-mappings'; sessionId: string; mappings: LidMapping[] }
