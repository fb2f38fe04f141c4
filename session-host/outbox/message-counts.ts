import { and, count, isNotNull } from 'drizzle-orm'
import type { MessageStatus } from '../../shared/statuses.ts'
import { tablesOf } from '../db/database.ts'
import type { Db } from '../db/database.ts'
import { scopeConditions } from '../db/keyset-page.ts'
import type { Scope } from '../db/keyset-page.ts'

/** Messages created in the window by the status each is in now (one GROUP BY); `otpOnly` counts those carrying an OTP. */
export const countMessagesByStatus = async (db: Db, window: Scope, { otpOnly = false } = {}): Promise<Map<MessageStatus, number>> => {
  const { messages } = tablesOf(db)
  const rows = await db
    .select({ status: messages.status, count: count() })
    .from(messages)
    .where(and(...scopeConditions(messages, window), otpOnly ? isNotNull(messages.otpId) : undefined))
    .groupBy(messages.status)
  return new Map(rows.map(row => [row.status, Number(row.count)]))
}
