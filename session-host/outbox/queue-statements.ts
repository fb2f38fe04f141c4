import { and, asc, eq, sql } from 'drizzle-orm'
import { tablesOf } from '../db/database.ts'
import { inJsonList, momentPlaceholder } from '../db/dialect-sql.ts'
import { reusedStatement } from '../db/reused-statement.ts'
import { FENCE_PLACEHOLDERS, leaseHeld } from '../fleet/session-leases.ts'
import { MESSAGE_STATUSES } from '../../shared/statuses.ts'
import type { MessageStatus } from '../../shared/statuses.ts'
import { FINAL, TIMESTAMP_COLUMN } from './message-status.ts'

// The send queue's statements that every send runs, each built once (db/reused-statement.ts).

/** The session's next message in line: OTPs first (a user is waiting for each), then the rest in the order they were accepted. */
export const nextQueued = reusedStatement(on => {
  const { messages } = tablesOf(on)
  return on
    .select()
    .from(messages)
    .where(and(eq(messages.sessionId, sql.placeholder('sessionId')), eq(messages.status, 'queued')))
    .orderBy(sql`CASE WHEN ${messages.kind} = 'otp' THEN 0 ELSE 1 END`, asc(messages.createdAt), asc(messages.seq))
    .limit(1)
})

/** Takes a queued message for sending, under this host's lease in the same statement. */
export const claimQueued = reusedStatement(on => {
  const { messages } = tablesOf(on)
  return on
    .update(messages)
    .set({ status: 'sending', attempts: sql`${messages.attempts} + 1`, updatedAt: momentPlaceholder(on, 'now', messages.updatedAt) })
    .where(and(eq(messages.id, sql.placeholder('messageId')), eq(messages.status, 'queued'), leaseHeld(on, sql.placeholder('sessionId'), FENCE_PLACEHOLDERS)))
    .returning({ id: messages.id })
})

/** A message's status, and its sealed payload while it has one. */
export const statusOf = reusedStatement(on => {
  const { messages } = tablesOf(on)
  return on
    .select({ status: messages.status, payload: messages.payload })
    .from(messages)
    .where(eq(messages.id, sql.placeholder('messageId')))
})

/**
 * A message's move to `next`, which the database refuses unless its status is one of `from` (a
 * JSON list): its time, its `error` when the statement has one, and its content dropped once it is
 * final. One statement per status, with an error or without.
 */
const transitionStatement = (next: MessageStatus, withError: boolean) =>
  reusedStatement(on => {
    const { messages } = tablesOf(on)
    const now = momentPlaceholder(on, 'now', messages.updatedAt)
    return on
      .update(messages)
      .set({
        status: next,
        updatedAt: now,
        ...(next === 'queued' || next === 'sending' ? {} : { [TIMESTAMP_COLUMN[next]]: now }),
        ...(withError ? { error: sql`${sql.placeholder('error')}` } : {}),
        ...(FINAL.has(next) ? { payload: null } : {})
      })
      .where(and(eq(messages.id, sql.placeholder('messageId')), inJsonList(on, messages.status, 'from')))
      .returning()
  })
// One per status, with an error and without; each is built on its first use.
const transitions = new Map(
  MESSAGE_STATUSES.flatMap(next => [false, true].map(withError => [`${next} ${withError}`, transitionStatement(next, withError)] as const))
)
export const transitionTo = (next: MessageStatus, withError: boolean) => transitions.get(`${next} ${withError}`)!
