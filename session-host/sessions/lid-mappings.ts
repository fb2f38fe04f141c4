import { and, eq, ne, sql } from 'drizzle-orm'
import { tablesOf } from '../db/database.ts'
import type { DbExecutor } from '../db/database.ts'
import { reusedStatement } from '../db/reused-statement.ts'

/** The number behind a LID, as one session learnt it: both are user parts (digits, no `@…`). */
export type LidMapping = { lid: string; phone: string }

const DIGITS = /^\d{1,20}$/

/**
 * Stores what a session learnt, in the caller's (fenced) transaction. A LID has one number: a
 * newer mapping replaces the older. A number has one LID too: the account that holds it now has
 * it, so a LID it was learnt under before loses it (a recycled number must not name the old owner).
 */
export const storeLidMappings = async (tx: DbExecutor, sessionId: string, mappings: readonly LidMapping[], at: Date): Promise<void> => {
  for (const { lid, phone } of mappings) {
    if (!DIGITS.test(lid) || !DIGITS.test(phone)) continue
    await forgetOtherLids(tx).execute({ sessionId, lid, phone })
    await storeMapping(tx).execute({ sessionId, lid, phone, at })
  }
}

// Every send to a new number teaches a mapping: both statements are built once (db/reused-statement.ts).
const forgetOtherLids = reusedStatement(on => {
  const { lidMappings } = tablesOf(on)
  return on
    .delete(lidMappings)
    .where(
      and(eq(lidMappings.sessionId, sql.placeholder('sessionId')), eq(lidMappings.phone, sql.placeholder('phone')), ne(lidMappings.lid, sql.placeholder('lid')))
    )
})
const storeMapping = reusedStatement(on => {
  const { lidMappings } = tablesOf(on)
  return on
    .insert(lidMappings)
    .values({ sessionId: sql.placeholder('sessionId'), lid: sql.placeholder('lid'), phone: sql.placeholder('phone'), updatedAt: sql.placeholder('at') })
    .onConflictDoUpdate({ target: [lidMappings.sessionId, lidMappings.lid], set: { phone: sql`excluded.phone`, updatedAt: sql`excluded.updated_at` } })
})

/**
 * The number a session knows for a LID. Sessions linked before this table existed have their
 * mappings only in Baileys' own store (auth keys of type `lid-mapping`: `<number>` → LID and
 * `<lid>_reverse` → number), and Baileys does not tell again what it already knows: that store
 * answers when the table has nothing, but only while both its directions agree and the table has
 * not given the number to another LID (its reverse keys outlive a number that moved).
 */
export const phoneForLid = async (executor: DbExecutor, sessionId: string, lid: string): Promise<string | undefined> => {
  const { lidMappings, authKeys } = tablesOf(executor)
  const [known] = await executor
    .select({ phone: lidMappings.phone })
    .from(lidMappings)
    .where(and(eq(lidMappings.sessionId, sessionId), eq(lidMappings.lid, lid)))
  if (known) return known.phone
  const baileysKey = async (keyId: string): Promise<string | undefined> => {
    const [row] = await executor
      .select({ value: authKeys.value })
      .from(authKeys)
      .where(and(eq(authKeys.sessionId, sessionId), eq(authKeys.type, 'lid-mapping'), eq(authKeys.keyId, keyId)))
    const value: unknown = row ? JSON.parse(row.value) : undefined
    return typeof value === 'string' && DIGITS.test(value) ? value : undefined
  }
  const phone = await baileysKey(`${lid}_reverse`)
  if (!phone || (await baileysKey(phone)) !== lid) return undefined
  const [moved] = await executor
    .select({ lid: lidMappings.lid })
    .from(lidMappings)
    .where(and(eq(lidMappings.sessionId, sessionId), eq(lidMappings.phone, phone)))
  return moved ? undefined : phone
}
