import type { DbExecutor } from '../db/database.ts'
import { phoneForLid, storeLidMappings } from '../sessions/lid-mappings.ts'
import type { SessionEvent } from '../sessions/session-event.ts'
import { describeInboundMessage, senderOf } from './inbound-message.ts'
import { recordEvent } from './record-event.ts'

/**
 * Turns a session's events into webhook events, inside the transaction that stores the change:
 * `session.status` (also when WhatsApp restricts or frees the account, with its `restriction`; a
 * `link_failed` one with its `reason`, a `disconnected` one the liveness watchdog caused with
 * `reason: 'unresponsive'`), `session.qr` (`refreshed` once WhatsApp rotated the code
 * after a scan), and `message.received` for each inbound user message. The numbers behind LIDs
 * are stored here too, in the same order: those Baileys learnt (`lid-mappings`) and those a
 * message's key pairs, so a later message that comes by LID alone still names its sender's number.
 */
export const journalSessionEvent = async (tx: DbExecutor, event: SessionEvent): Promise<void> => {
  const { sessionId } = event
  if (event.type === 'status' || event.type === 'restriction') {
    const { closeCode, closeReason, linkFailure } = event.type === 'status' ? event : {}
    const data = {
      status: event.status,
      phoneNumber: event.phoneNumber ?? null,
      restriction: event.restriction ?? null,
      reason: linkFailure?.reason ?? closeReason ?? null,
      ...(linkFailure?.serverError ? { serverError: linkFailure.serverError } : {}),
      ...(closeCode ? { closeCode } : {})
    }
    await recordEvent(tx, { sessionId, type: 'session.status', data })
  } else if (event.type === 'qr') {
    await recordEvent(tx, { sessionId, type: 'session.qr', data: { qr: event.qr, refreshed: event.refreshed } })
  } else if (event.type === 'messages') {
    for (const message of event.messages) {
      // Our own messages from another device pair the chat with our own alternative JID: skip them.
      const sender = message.key.fromMe ? {} : senderOf(message.key)
      if (sender.lid && sender.phone) await storeLidMappings(tx, sessionId, [{ lid: sender.lid, phone: sender.phone }], new Date())
      const knownPhone = sender.lid && !sender.phone ? await phoneForLid(tx, sessionId, sender.lid) : undefined
      const data = describeInboundMessage(message, knownPhone)
      if (data) await recordEvent(tx, { sessionId, type: 'message.received', data })
    }
  } else if (event.type === 'lid-mappings') {
    await storeLidMappings(tx, sessionId, event.mappings, new Date())
  }
}
