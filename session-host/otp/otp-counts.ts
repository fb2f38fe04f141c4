import { and, count } from 'drizzle-orm'
import type { OtpStatus } from '../../shared/statuses.ts'
import { tablesOf } from '../db/database.ts'
import type { Db } from '../db/database.ts'
import { scopeConditions } from '../db/keyset-page.ts'
import type { Scope } from '../db/keyset-page.ts'

/** OTPs created in the window by the status each is in now (one GROUP BY). */
export const countOtpsByStatus = async (db: Db, window: Scope): Promise<Map<OtpStatus, number>> => {
  const { otps } = tablesOf(db)
  const rows = await db
    .select({ status: otps.status, count: count() })
    .from(otps)
    .where(and(...scopeConditions(otps, window)))
    .groupBy(otps.status)
  return new Map(rows.map(row => [row.status, Number(row.count)]))
}
