import { and, eq, inArray, sql } from 'drizzle-orm'
import { BufferJSON, initAuthCreds, proto } from '@whiskeysockets/baileys'
import type { AuthenticationCreds, AuthenticationState, SignalDataSet, SignalDataTypeMap } from '@whiskeysockets/baileys'
import { tablesOf, writeTransaction } from '../db/database.ts'
import { inJsonList, jsonEntries } from '../db/dialect-sql.ts'
import { reusedStatement } from '../db/reused-statement.ts'
import type { Db, DbExecutor } from '../db/database.ts'
import { FENCE_PLACEHOLDERS, fenceValues, isLeaseCurrent, LeaseLostError, leaseHeld } from '../fleet/session-leases.ts'
import type { Fence } from '../fleet/session-leases.ts'
import { SignalKeyCache } from './signal-key-cache.ts'

const serialize = (value: unknown): string => JSON.stringify(value, BufferJSON.replacer)
const deserialize = <T>(text: string): T => JSON.parse(text, BufferJSON.reviver) as T

/** Key ids per DELETE statement, well under SQLite's and PostgreSQL's parameter limits. */
const BATCH = 500

/**
 * Types not kept in memory: one-time pre-keys are written 800 at a link and each read at most once;
 * app-state keys are read back as protobuf objects, so a read goes to the database.
 */
const UNCACHED = new Set(['pre-key', 'app-state-sync-key'])

/** A session's keys of one type among `ids` (a JSON list), built once (db/reused-statement.ts): Baileys reads keys for every message. */
const readKeys = reusedStatement(on => {
  const { authKeys } = tablesOf(on)
  return on
    .select({ keyId: authKeys.keyId, value: authKeys.value })
    .from(authKeys)
    .where(and(eq(authKeys.sessionId, sql.placeholder('sessionId')), eq(authKeys.type, sql.placeholder('type')), inJsonList(on, authKeys.keyId, 'ids')))
})

/**
 * A session's keys of one type, stored or replaced, fenced by its lease in the same statement: the
 * keys are one JSON parameter (`batch`, { keyId: serialized value }), not a statement or
 * parameters per key (a login stores 812 pre-keys). Built once, as `readKeys`.
 */
const writeKeys = reusedStatement(on => {
  const { authKeys } = tablesOf(on)
  const sessionId = sql.placeholder('sessionId')
  return on
    .insert(authKeys)
    .select(
      sql`SELECT ${sessionId}, ${sql.placeholder('type')}, batch.key, batch.value FROM ${jsonEntries(on, sql.placeholder('batch'))} WHERE ${leaseHeld(on, sessionId, FENCE_PLACEHOLDERS)}`
    )
    .onConflictDoUpdate({ target: [authKeys.sessionId, authKeys.type, authKeys.keyId], set: { value: sql`excluded.value` } })
    .returning({ keyId: authKeys.keyId })
})

/**
 * Baileys' auth state for one session, in the host's database: creds in one row, each signal key
 * in its own row. Every `keys.set` is one transaction, so a crash never leaves half a key batch
 * behind. Every write names this host's lease (`fence`) in its own statement: once another host
 * has taken the session over, a write from here changes nothing and throws LeaseLostError, so a
 * paused or cut-off host cannot overwrite the keys the new owner uses. The session row must exist
 * (auth rows cascade with it). Reads are cached (signal-key-cache.ts): Baileys reads the same
 * sessions and identities for every message it sends.
 */
export const loadAuthState = async (db: Db, sessionId: string, fence: Fence): Promise<{ state: AuthenticationState; saveCreds(): Promise<void> }> => {
  const { authCreds, authKeys } = tablesOf(db)
  const [stored] = await db.select({ creds: authCreds.creds }).from(authCreds).where(eq(authCreds.sessionId, sessionId))
  const creds: AuthenticationCreds = stored ? deserialize(stored.creds) : initAuthCreds()
  const held = (executor: DbExecutor) => leaseHeld(executor, sessionId, fence)
  const cache = new SignalKeyCache()

  const saveCreds = async (): Promise<void> => {
    const text = serialize(creds)
    // INSERT … SELECT … WHERE <lease held>: the check and the write are one statement.
    const saved = await db
      .insert(authCreds)
      .select(sql`SELECT ${sessionId}, ${text} WHERE ${held(db)}`)
      .onConflictDoUpdate({ target: authCreds.sessionId, set: { creds: sql`excluded.creds` } })
      .returning({ sessionId: authCreds.sessionId })
    if (saved.length === 0) throw new LeaseLostError(sessionId)
  }

  const state: AuthenticationState = {
    creds,
    keys: {
      get: async <T extends keyof SignalDataTypeMap>(type: T, ids: string[]) => {
        const found: { [id: string]: SignalDataTypeMap[T] } = {}
        const cached = !UNCACHED.has(type)
        const missing = cached ? ids.filter(id => cache.get(type, id) === undefined) : ids
        if (missing.length > 0) {
          // A write that lands while this read is out makes its answer too old to keep.
          const writesBefore = cache.writes
          const rows = await readKeys(db).execute({ sessionId, type, ids: JSON.stringify(missing) })
          const values = new Map(rows.map(row => [row.keyId, deserialize<unknown>(row.value)]))
          const fresh = cache.writes === writesBefore
          for (const id of missing) {
            const value = values.get(id)
            if (cached && fresh) cache.set(type, id, value ?? null)
            else if (value !== undefined)
              // Baileys expects app-state keys as protobuf objects, not plain JSON.
              found[id] = (type === 'app-state-sync-key' ? proto.Message.AppStateSyncKeyData.fromObject(value as object) : value) as SignalDataTypeMap[T]
          }
        }
        if (cached)
          for (const id of ids) {
            if (id in found) continue
            const value = cache.get(type, id)
            if (value !== null && value !== undefined) found[id] = value as SignalDataTypeMap[T]
          }
        return found
      },
      set: async (data: SignalDataSet) => {
        // The cache takes the write first: a read while the transaction is out sees what it will
        // commit, as a read queued behind the transaction would. A refused write is forgotten.
        const written = Object.entries(data)
          .filter(([type]) => !UNCACHED.has(type))
          .flatMap(([type, entries]) => Object.entries(entries ?? {}).map(([id, value]) => ({ type, id, value: value ?? null })))
        cache.writes++
        for (const { type, id, value } of written) cache.set(type, id, value)
        await writeTransaction(db, async tx => {
          let fenced = false
          for (const [type, entries] of Object.entries(data)) {
            const all = Object.entries(entries ?? {})
            const removed = all.filter(([, value]) => value === null || value === undefined).map(([keyId]) => keyId)
            const stored = all.filter(([, value]) => value !== null && value !== undefined)
            for (let start = 0; start < removed.length; start += BATCH)
              await tx
                .delete(authKeys)
                .where(and(eq(authKeys.sessionId, sessionId), eq(authKeys.type, type), inArray(authKeys.keyId, removed.slice(start, start + BATCH)), held(tx)))
            if (stored.length === 0) continue
            const batch = JSON.stringify(Object.fromEntries(stored.map(([keyId, value]) => [keyId, serialize(value)])))
            const saved = await writeKeys(tx).execute({ sessionId, type, batch, ...fenceValues(fence) })
            if (saved.length === 0) throw new LeaseLostError(sessionId)
            fenced = true
          }
          // Deletes alone change nothing once the lease is gone; say so like the inserts do.
          if (!fenced && !(await isLeaseCurrent(tx, sessionId, fence))) throw new LeaseLostError(sessionId)
        }).catch(error => {
          cache.writes++
          for (const { type, id } of written) cache.forget(type, id)
          throw error
        })
      },
      clear: async () => {
        cache.clear()
        await db.delete(authKeys).where(and(eq(authKeys.sessionId, sessionId), held(db)))
      }
    }
  }
  return { state, saveCreds }
}
