/**
 * The send governor's vocabulary, shared by the host (which enforces it) and the gateway (which
 * documents and forwards it). What it does is in session-host/governor/.
 */

/** A session's own governor settings; each unset field takes the host's default. */
export type GovernorSettings = {
  /** false: this session's sends are not paced or capped (OTPs still respect WhatsApp's cap). */
  enabled?: boolean
  /** New chats a day, in place of the default that grows with the account's age. */
  newChatsPerDay?: number
  /** The mean gap between first messages to new chats, jittered by ±50%. */
  newChatGapSeconds?: number
}

/** WhatsApp's own cap on new chats, as the server last reported it (`message-capping.update`). */
export type WhatsAppNewChatCap = {
  total: number | null
  used: number | null
  /** When the current cycle ends (ISO 8601), if the server said. */
  cycleEndsAt: string | null
  /** NONE, FIRST_WARNING, SECOND_WARNING or CAPPED. */
  status: string | null
  reportedAt: string
}
