import { and, eq } from 'drizzle-orm'
import type { ListFilter, Page } from '../../shared/host-api/list-page.ts'
import type { MessageListItem } from '../../shared/host-api/messages.ts'
import type { MessageStatus } from '../../shared/statuses.ts'
import { tablesOf } from '../db/database.ts'
import type { Db } from '../db/database.ts'
import { keyset, scopeConditions, toPage } from '../db/keyset-page.ts'
import { messageView } from './message-view.ts'

/** Messages newest first, one page at a time: never their content. */
export const listMessages = async (db: Db, filter: ListFilter & { status?: MessageStatus }): Promise<Page<MessageListItem>> => {
  const { messages } = tablesOf(db)
  const { after, orderBy } = keyset(messages.createdAt, [messages.id], filter.cursor)
  const rows = await db
    .select()
    .from(messages)
    .where(
      and(
        ...scopeConditions(messages, filter),
        filter.status === undefined ? undefined : eq(messages.status, filter.status),
        filter.to === undefined ? undefined : eq(messages.jid, `${filter.to}@s.whatsapp.net`),
        after
      )
    )
    .orderBy(...orderBy)
    .limit(filter.limit + 1)
  return toPage(
    rows,
    filter.limit,
    row => ({ createdAt: row.createdAt.getTime(), key: [row.id] }),
    row => ({ ...messageView(row), createdAt: row.createdAt.toISOString() })
  )
}
