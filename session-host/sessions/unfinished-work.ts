import { and, count, eq, inArray } from 'drizzle-orm'
import type { SessionDeletedAnswer } from '../../shared/host-api/sessions.ts'
import { tablesOf } from '../db/database.ts'
import type { DbExecutor } from '../db/database.ts'

/**
 * What a session still has to do: messages not yet sent (queued or sending), OTPs still pending,
 * webhook deliveries still pending. A deleted session's answer counts what went with it.
 */
export const unfinishedWork = async (tx: DbExecutor, sessionId: string): Promise<SessionDeletedAnswer['discarded']> => {
  const { messages, otps, webhookDeliveries } = tablesOf(tx)
  const counted = async (query: Promise<{ n: number }[]>) => Number((await query)[0]?.n ?? 0)
  return {
    messages: await counted(
      tx
        .select({ n: count() })
        .from(messages)
        .where(and(eq(messages.sessionId, sessionId), inArray(messages.status, ['queued', 'sending'])))
    ),
    otps: await counted(
      tx
        .select({ n: count() })
        .from(otps)
        .where(and(eq(otps.sessionId, sessionId), eq(otps.status, 'pending')))
    ),
    webhookDeliveries: await counted(
      tx
        .select({ n: count() })
        .from(webhookDeliveries)
        .where(and(eq(webhookDeliveries.sessionId, sessionId), eq(webhookDeliveries.status, 'pending')))
    )
  }
}
