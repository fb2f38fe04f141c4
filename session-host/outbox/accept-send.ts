import { appError } from '../../shared/errors.ts'
import { writeTransaction } from '../db/database.ts'
import type { Db, Transaction } from '../db/database.ts'
import type { Outgoing } from '../messages/rich-content.ts'
import type { SessionManager } from '../sessions/session-manager.ts'
import type { MessageView } from '../../shared/host-api/messages.ts'
import type { EnqueueInput, SendQueue } from './send-queue.ts'

export type AcceptDeps = {
  db: Db
  queue: SendQueue
  sessions: SessionManager
  /** Paces and caps first messages to new chats; a refusal leaves nothing queued. */
  governor?: { admit(tx: Transaction, send: { sessionId: string; jid: string; kind: string }): Promise<void> }
}

/** How long a send request waits for WhatsApp's ack before it answers with `queued`/`sending`. */
const SETTLE_WAIT_MS = 5_000

export type AcceptInput = Omit<EnqueueInput, 'content'> & {
  outgoing: Outgoing
  /** Runs in the same transaction before the message is queued (OTP limits and record). */
  before?: (tx: Transaction) => Promise<void>
  /** Runs in the same transaction once the message is queued (links the OTP to its message). */
  after?: (tx: Transaction, message: MessageView) => Promise<void>
}

/**
 * Accepts a send: refuses sessions that could never send it, answers a repeated Idempotency-Key
 * with the first result (or 422 for another body), asks the send governor, records the message in the queue in one
 * transaction, and waits briefly so a connected session usually answers with `sent`.
 */
export const acceptSend = async (
  { db, queue, sessions, governor }: AcceptDeps,
  { outgoing, before, after, ...input }: AcceptInput
): Promise<MessageView & { replayed: boolean }> => {
  await sessions.requireQueueable(input.sessionId)
  const accepted = await writeTransaction(db, async tx => {
    if (input.idempotency) {
      const earlier = await queue.findByIdempotencyKey(tx, input.sessionId, input.idempotency.key)
      if (earlier && earlier.requestHash !== input.idempotency.hash)
        throw appError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used with a different request', { messageId: earlier.messageId })
      if (earlier) return { view: earlier, replayed: true }
    }
    await governor?.admit(tx, { sessionId: input.sessionId, jid: input.jid, kind: input.kind })
    await before?.(tx)
    const view = await queue.enqueue(tx, { ...input, content: outgoing })
    await after?.(tx, view)
    return { view, replayed: false }
  })
  if (!accepted.replayed) {
    queue.kick(input.sessionId)
    // A session that is away answers `queued` at once; the message goes out when it is back.
    if (sessions.connectedSocket(input.sessionId)) await queue.settled(accepted.view.messageId, SETTLE_WAIT_MS)
  }
  return { ...(await queue.view(input.sessionId, accepted.view.messageId)), replayed: accepted.replayed }
}
