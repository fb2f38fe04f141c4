import { and, inArray, isNotNull, lte } from 'drizzle-orm'
import { IDEMPOTENCY_KEY_TTL_MS } from '../../shared/idempotency.ts'
import { tablesOf } from '../db/database.ts'
import type { DbExecutor } from '../db/database.ts'

/** Messages sent at or before this moment no longer hold their Idempotency-Key. */
export const idempotencyCutoff = (now: number): Date => new Date(now - IDEMPOTENCY_KEY_TTL_MS)

/**
 * Forgets the Idempotency-Keys older than the retention time, so the same key sends anew. The
 * message rows stay (their status is still readable); only the key and its request digest go.
 * Walks the partial index `messages_idempotency_created_idx`. Returns how many keys went.
 */
export const forgetExpiredIdempotencyKeys = async (db: DbExecutor, now: number, batch = 1000): Promise<number> => {
  const { messages } = tablesOf(db)
  // In batches, like the other sweeps: the next sweep takes the rest.
  const old = db
    .select({ id: messages.id })
    .from(messages)
    .where(and(isNotNull(messages.idempotencyKey), lte(messages.createdAt, idempotencyCutoff(now))))
    .limit(batch)
  const forgotten = await db.update(messages).set({ idempotencyKey: null, requestHash: null }).where(inArray(messages.id, old)).returning({ id: messages.id })
  return forgotten.length
}
