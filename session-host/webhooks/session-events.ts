import type { DbExecutor } from '../db/database.ts'
import type { SessionEvent } from '../sessions/session-event.ts'
import { describeInboundMessage } from './inbound-message.ts'
import { recordEvent } from './record-event.ts'

/**
 * Turns a session's events into webhook events, inside the transaction that stores the change:
 * `session.status` (also when WhatsApp restricts or frees the account, with its `restriction`; a
 * `link_failed` one with its `reason`, a `disconnected` one the liveness watchdog caused with
 * `reason: 'unresponsive'`), `session.qr` (`refreshed` once WhatsApp rotated the code
 * after a scan), and `message.received` for each inbound user message.
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
      const data = describeInboundMessage(message)
      if (data) await recordEvent(tx, { sessionId, type: 'message.received', data })
    }
  }
}
