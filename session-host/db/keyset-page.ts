import { and, desc, eq, gte, inArray, lt, or } from 'drizzle-orm'
import type { AnyColumn, SQL } from 'drizzle-orm'
import { encodeCursor } from '../../shared/host-api/list-page.ts'
import type { ListCursor, ListFilter, Page } from '../../shared/host-api/list-page.ts'

/**
 * Rows after the cursor in (createdAt DESC, key… DESC) order: `(t < c) OR (t = c AND key < k)`,
 * one key column at a time, so ties in createdAt never repeat or skip a row across pages.
 */
const after = (createdAt: AnyColumn, keys: readonly AnyColumn[], cursor: ListCursor): SQL | undefined => {
  const at = createdAt.dataType === 'date' ? new Date(cursor.createdAt) : cursor.createdAt
  const tail = (index: number): SQL | undefined =>
    index === keys.length - 1
      ? lt(keys[index]!, cursor.key[index] ?? '')
      : or(lt(keys[index]!, cursor.key[index] ?? ''), and(eq(keys[index]!, cursor.key[index] ?? ''), tail(index + 1)))
  return or(lt(createdAt, at), and(eq(createdAt, at), tail(0)))
}

/** What a list or a count is narrowed to: a session, the token's sessions, a window of creation times. */
export type Scope = Pick<ListFilter, 'sessionId' | 'sessions' | 'since' | 'until'>

/** The time window and the sessions a list may show, on a table's own columns. */
export const scopeConditions = (columns: { sessionId: AnyColumn; createdAt: AnyColumn }, filter: Scope): (SQL | undefined)[] => {
  const moment = (ms: number) => (columns.createdAt.dataType === 'date' ? new Date(ms) : ms)
  return [
    filter.sessionId === undefined ? undefined : eq(columns.sessionId, filter.sessionId),
    filter.sessions === undefined ? undefined : inArray(columns.sessionId, [...filter.sessions]),
    filter.since === undefined ? undefined : gte(columns.createdAt, moment(filter.since)),
    filter.until === undefined ? undefined : lt(columns.createdAt, moment(filter.until))
  ]
}

/** The keyset's WHERE part and ORDER BY, for a query that reads one row more than the page holds. */
export const keyset = (createdAt: AnyColumn, keys: readonly AnyColumn[], cursor: ListCursor | undefined) => ({
  after: cursor ? after(createdAt, keys, cursor) : undefined,
  orderBy: [desc(createdAt), ...keys.map(key => desc(key))]
})

/** Cuts the extra row off and names the cursor of the page's last row. */
export const toPage = <Row, Item>(rows: Row[], limit: number, cursorOf: (row: Row) => ListCursor, view: (row: Row) => Item): Page<Item> => {
  const items = rows.slice(0, limit)
  const last = items.at(-1)
  return { items: items.map(view), nextCursor: rows.length > limit && last !== undefined ? encodeCursor(cursorOf(last)) : null }
}
