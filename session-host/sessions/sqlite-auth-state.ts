import { and, eq, inArray } from 'drizzle-orm'
import { BufferJSON, initAuthCreds, proto } from '@whiskeysockets/baileys'
import type { AuthenticationCreds, AuthenticationState, SignalDataSet, SignalDataTypeMap } from '@whiskeysockets/baileys'
import type { Db } from '../db/connection.ts'
import { writeTransaction } from '../db/connection.ts'
import { authCreds, authKeys } from '../db/schema.ts'

const serialize = (value: unknown): string => JSON.stringify(value, BufferJSON.replacer)
const deserialize = <T>(text: string): T => JSON.parse(text, BufferJSON.reviver) as T

/**
 * Baileys' auth state for one session, kept in SQLite: creds in one row, each signal key in its
 * own row. Every `keys.set` is one transaction, so a crash never leaves half a key batch behind.
 * The session row must exist (auth rows cascade with it).
 */
export const sqliteAuthState = (db: Db, sessionId: string): { state: AuthenticationState; saveCreds(): void } => {
  const stored = db.select({ creds: authCreds.creds }).from(authCreds).where(eq(authCreds.sessionId, sessionId)).get()
  const creds: AuthenticationCreds = stored ? deserialize(stored.creds) : initAuthCreds()

  const saveCreds = (): void => {
    const text = serialize(creds)
    db.insert(authCreds)
      .values({ sessionId, creds: text })
      .onConflictDoUpdate({ target: authCreds.sessionId, set: { creds: text } })
      .run()
  }

  const state: AuthenticationState = {
    creds,
    keys: {
      get: async <T extends keyof SignalDataTypeMap>(type: T, ids: string[]) => {
        const found: { [id: string]: SignalDataTypeMap[T] } = {}
        if (ids.length === 0) return found
        const rows = db
          .select({ keyId: authKeys.keyId, value: authKeys.value })
          .from(authKeys)
          .where(and(eq(authKeys.sessionId, sessionId), eq(authKeys.type, type), inArray(authKeys.keyId, ids)))
          .all()
        for (const row of rows) {
          const value = deserialize<unknown>(row.value)
          // Baileys expects app-state keys as protobuf objects, not plain JSON.
          found[row.keyId] = (type === 'app-state-sync-key' ? proto.Message.AppStateSyncKeyData.fromObject(value as object) : value) as SignalDataTypeMap[T]
        }
        return found
      },
      set: async (data: SignalDataSet) => {
        writeTransaction(db, tx => {
          for (const [type, entries] of Object.entries(data)) {
            for (const [keyId, value] of Object.entries(entries ?? {})) {
              const where = and(eq(authKeys.sessionId, sessionId), eq(authKeys.type, type), eq(authKeys.keyId, keyId))
              if (value === null || value === undefined) {
                tx.delete(authKeys).where(where).run()
                continue
              }
              const text = serialize(value)
              tx.insert(authKeys)
                .values({ sessionId, type, keyId, value: text })
                .onConflictDoUpdate({ target: [authKeys.sessionId, authKeys.type, authKeys.keyId], set: { value: text } })
                .run()
            }
          }
        })
      },
      clear: async () => {
        db.delete(authKeys).where(eq(authKeys.sessionId, sessionId)).run()
      }
    }
  }
  return { state, saveCreds }
}
