import { z } from '@hono/zod-openapi'
import { Cursor, listQueryString, PAGE_LIMIT } from '../../shared/host-api/list-page.ts'
import { SessionId } from '../../shared/ids.ts'
import type { Principal } from '../auth/scopes.ts'
import { requireSession } from '../auth/scopes.ts'
import type { RequestDeps } from '../env/gateway-env.ts'

const instant = (description: string) => z.iso.datetime({ offset: true }).optional().openapi({ description, example: '2026-01-31T00:00:00Z' })

/** The query every public list takes (the status filter is each list's own). */
export const ListQuery = z.object({
  cursor: Cursor.optional().openapi({ description: "The previous page's `nextCursor`: opaque, stable while new items arrive" }),
  limit: z.coerce
    .number()
    .int()
    .min(PAGE_LIMIT.min)
    .max(PAGE_LIMIT.max)
    .default(PAGE_LIMIT.default)
    .openapi({ description: `Items per page (${PAGE_LIMIT.min}–${PAGE_LIMIT.max})` })
})

/** The filters of the message and OTP lists, besides the status. */
export const RecipientWindowQuery = ListQuery.extend({
  to: z.string().min(3).max(64).optional().openapi({ description: 'The recipient, in any form the send routes take', example: '081234567890' }),
  since: instant('Created at or after (ISO 8601)'),
  until: instant('Created before (ISO 8601)')
})

/** `sessionId` as a query parameter: one of the sessions the token may see. */
export const SessionFilter = SessionId.optional().openapi({ description: 'Only this session (omitted: every session the token may see)' })

/** One page of a list, newest first. */
export const pageOf = <T extends z.ZodType>(item: T, name: string) =>
  z
    .object({
      items: z.array(item),
      nextCursor: z.string().nullable().openapi({ description: 'Pass as `cursor` for the next page; null on the last' })
    })
    .openapi(name)

/**
 * Which sessions a list may show: the one it names (refused if the token may not use it), else the
 * token's sessions (absent when the token may see every session), for the host to filter in SQL.
 * A named session stands for the whole list, which keeps the query string short.
 */
export const sessionScope = (principal: Principal, sessionId: string | undefined): { sessionId?: string; sessions?: readonly string[] } => {
  if (sessionId === undefined) return principal.sessions ? { sessions: principal.sessions } : {}
  requireSession(principal, sessionId)
  // Still a restricted token: the host shows such a token only its sessions' own webhooks, never the global one.
  return principal.sessions ? { sessionId, sessions: [sessionId] } : { sessionId }
}

/** The host's query string for a list: the scope, `to` as E.164 digits, and the filters that are set. */
export const hostListQuery = (
  deps: Pick<RequestDeps, 'phone'>,
  scope: { sessionId?: string; sessions?: readonly string[] },
  query: { to?: string | undefined } & Record<string, string | number | undefined>
): Record<string, string> => {
  const { to, ...rest } = query
  return listQueryString({ ...scope, ...rest, ...(to === undefined ? {} : { to: deps.phone(to).e164.slice(1) }) })
}
