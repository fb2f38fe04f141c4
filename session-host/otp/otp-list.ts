import { and, eq, getTableColumns } from 'drizzle-orm'
import type { ListFilter, Page } from '../../shared/host-api/list-page.ts'
import type { OtpView } from '../../shared/host-api/otp.ts'
import type { OtpStatus } from '../../shared/statuses.ts'
import { tablesOf } from '../db/database.ts'
import type { Db } from '../db/database.ts'
import { keyset, scopeConditions, toPage } from '../db/keyset-page.ts'
import { messageView } from '../outbox/message-view.ts'
import { otpView } from './otp-view.ts'

/** OTPs newest first, one page at a time, each with where its message stands: never the code or its hash. */
export const listOtps = async (db: Db, filter: ListFilter & { status?: OtpStatus }): Promise<Page<OtpView>> => {
  const { messages, otps } = tablesOf(db)
  const { codeHash: _codeHash, ...otpColumns } = getTableColumns(otps)
  const { after, orderBy } = keyset(otps.createdAt, [otps.id], filter.cursor)
  const rows = await db
    .select({ otp: otpColumns, message: messages })
    .from(otps)
    .leftJoin(messages, eq(messages.id, otps.messageId))
    .where(
      and(
        ...scopeConditions(otps, filter),
        filter.status === undefined ? undefined : eq(otps.status, filter.status),
        filter.to === undefined ? undefined : eq(otps.destination, filter.to),
        after
      )
    )
    .orderBy(...orderBy)
    .limit(filter.limit + 1)
  return toPage(
    rows,
    filter.limit,
    ({ otp }) => ({ createdAt: otp.createdAt.getTime(), key: [otp.id] }),
    ({ otp, message }) => otpView(otp, message ? messageView(message) : null)
  )
}
