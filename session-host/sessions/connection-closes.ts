import { DisconnectReason } from '@whiskeysockets/baileys'

/** How a WhatsApp connection ends, as the session reads it. */

/** The ack error of a message WhatsApp refused because the account may not start new chats. */
export const REACHOUT_REFUSAL = '463'

/**
 * Closes after which retrying is pointless: the phone unlinked us, or the account is banned. A
 * replaced connection (440) is retried: if another host took the session over, this one's lease is
 * gone and it does not connect again; if this host still holds it, the other connection was a
 * stale host's, and reconnecting takes the account back.
 */
export const FINAL_CLOSES = new Set<number>([DisconnectReason.loggedOut, DisconnectReason.forbidden])

/** How rc14 ends a registration whose QR refs all went unscanned (a 408, like a lost connection). */
export const REFS_EXHAUSTED = 'QR refs attempts ended'
