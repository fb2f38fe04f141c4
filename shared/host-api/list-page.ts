import { z } from '../zod.ts'
import { PhoneDigits, SessionId } from '../ids.ts'

/** How many items a page holds. */
export const PAGE_LIMIT = { min: 1, max: 100, default: 50 } as const

/**
 * Where a page ends: the last row's creation time and its key (the id, or more columns where one
 * id is not unique). Opaque to callers: base64url of JSON, so it can change shape without notice.
 */
export type ListCursor = { createdAt: number; key: string[] }

const CursorJson = z.object({ t: z.number().int().nonnegative(), k: z.array(z.string().max(128)).min(1).max(3) })

const toBase64Url = (text: string): string =>
  btoa(String.fromCharCode(...new TextEncoder().encode(text)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '')

export const encodeCursor = ({ createdAt, key }: ListCursor): string => toBase64Url(JSON.stringify({ t: createdAt, k: key }))

/** The cursor a page's last row gives, or undefined for anything that is not one of ours. */
export const decodeCursor = (cursor: string): ListCursor | undefined => {
  if (!/^[A-Za-z0-9_-]{1,400}$/.test(cursor)) return undefined
  try {
    const binary = atob(cursor.replace(/-/g, '+').replace(/_/g, '/'))
    const parsed = CursorJson.safeParse(JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, char => char.charCodeAt(0)))))
    return parsed.success ? { createdAt: parsed.data.t, key: parsed.data.k } : undefined
  } catch {
    return undefined
  }
}

/** A cursor query parameter: checked where it is read, so a bad one is a 400 VALIDATION_ERROR. */
export const Cursor = z.string().refine(cursor => decodeCursor(cursor) !== undefined, { message: 'Invalid cursor' })

/** The allowed sessions as a query parameter (`a,b`); absent when the token may see every session. */
const SessionsParam = z
  .string()
  .max(70_000)
  .transform(list => (list === '' ? [] : list.split(',')))
  .pipe(z.array(SessionId))

/** What every list route of the host takes in its query string. */
export const ListQuery = z.object({
  sessionId: SessionId.optional(),
  sessions: SessionsParam.optional(),
  /** E.164 digits, as the gateway normalised them. */
  to: PhoneDigits.optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
  cursor: Cursor.optional(),
  limit: z.coerce.number().int().min(PAGE_LIMIT.min).max(PAGE_LIMIT.max).default(PAGE_LIMIT.default)
})
export type ListQuery = z.infer<typeof ListQuery>

/** A list's filters as the stores take them. */
export type ListFilter = {
  sessionId?: string
  /** The token's sessions; undefined: every session. */
  sessions?: readonly string[]
  to?: string
  since?: number
  until?: number
  cursor?: ListCursor
  limit: number
}

export const listFilterOf = ({ sessionId, sessions, to, since, until, cursor, limit }: ListQuery): ListFilter => ({
  ...(sessionId ? { sessionId } : {}),
  ...(sessions ? { sessions } : {}),
  ...(to ? { to } : {}),
  ...(since ? { since: Date.parse(since) } : {}),
  ...(until ? { until: Date.parse(until) } : {}),
  ...(cursor ? { cursor: decodeCursor(cursor)! } : {}),
  limit
})

/** One page of a list, newest first; `nextCursor` null on the last. */
export const page = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: z.string().nullable() })
export type Page<T> = { items: T[]; nextCursor: string | null }

/** The query string the gateway sends: only the filters that are set. */
export const listQueryString = (query: Record<string, string | number | readonly string[] | undefined>): Record<string, string> =>
  Object.fromEntries(
    Object.entries(query)
      .filter(([, value]) => value !== undefined)
      .map(([name, value]) => [name, Array.isArray(value) ? value.join(',') : String(value)])
  )
