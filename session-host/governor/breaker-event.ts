import type { SessionView } from '../../shared/host-api/sessions.ts'
import type { DbExecutor } from '../db/database.ts'
import { recordEvent } from '../webhooks/record-event.ts'

/**
 * The `session.status` event the breaker writes as it pauses new chats (in the same transaction),
 * so an operator hears of a likely restriction before users do: the session's status as it is,
 * with `governor: { newChats: 'paused', reason, until }`.
 */
export const recordBreakerEvent = async (
  tx: DbExecutor,
  {
    session,
    reason,
    until,
    at
  }: { session: Pick<SessionView, 'sessionId' | 'status' | 'phoneNumber' | 'restriction'>; reason: string; until: Date; at: number }
): Promise<void> => {
  await recordEvent(tx, {
    sessionId: session.sessionId,
    type: 'session.status',
    at,
    data: {
      status: session.status,
      phoneNumber: session.phoneNumber,
      restriction: session.restriction,
      reason: null,
      governor: { newChats: 'paused', reason, until: until.toISOString() }
    }
  })
}
