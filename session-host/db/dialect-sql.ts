import { sql } from 'drizzle-orm'
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
import type { DriverValueEncoder, SQL, SQLWrapper } from 'drizzle-orm'
import { engineOf } from './database.ts'
import type { DbExecutor } from './database.ts'

/**
 * The few SQL fragments the engines spell differently, each behind one name. Everything else the
 * stores write is the query builders both dialects share.
 */

/**
 * Serializes the transactions that read, then write, under one key (a session's event sequence,
 * a destination's send limits) until the caller's transaction ends. SQLite needs nothing: its
 * write transactions already run one at a time. PostgreSQL takes a transaction-scoped advisory lock.
 */
export const lockKey = async (tx: DbExecutor, key: string): Promise<void> => {
  if (engineOf(tx) !== 'postgres') return
  const pg = tx as unknown as PgDatabase<PgQueryResultHKT>
  await pg.execute(sql`SELECT pg_advisory_xact_lock(hashtextextended(${key}, 0))`)
}

/**
 * A comparison of two strings whose time does not depend on where they differ. SQLite calls the
 * host's `ct_equal` (node:crypto's timingSafeEqual); PostgreSQL compares the SHA-256 of each, so
 * '=' only ever learns how much two digests share, which says nothing about the strings.
 */
export const constantTimeEqual = (db: DbExecutor, left: SQLWrapper, right: SQLWrapper | string): SQL =>
  engineOf(db) === 'postgres' ? sql`sha256(convert_to(${left}, 'UTF8')) = sha256(convert_to(${right}, 'UTF8'))` : sql`ct_equal(${left}, ${right})`

/** The database's clock, in the form its timestamp columns hold (ms on SQLite, timestamptz on PostgreSQL). */
export const databaseNow = (db: DbExecutor): SQL => (engineOf(db) === 'postgres' ? sql`now()` : sql`CAST(unixepoch('subsec') * 1000 AS INTEGER)`)

/** The database's clock `ms` milliseconds from now. */
export const databaseNowPlus = (db: DbExecutor, ms: number): SQL =>
  engineOf(db) === 'postgres' ? sql`(now() + ${ms}::float8 * interval '1 millisecond')` : sql`(CAST(unixepoch('subsec') * 1000 AS INTEGER) + ${ms})`

/**
 * The entries of a JSON object of strings, bound as one parameter, as a FROM source named `batch`
 * with the text columns `key` and `value`. A batch of any size is then one bound value, which the
 * engine's JSON parser splits, instead of a VALUES list with a parameter per cell that drizzle
 * builds one fragment at a time (a linking device's 812 pre-keys were 3,248 of them).
 */
export const jsonEntries = (db: DbExecutor, object: string | SQLWrapper): SQL =>
  engineOf(db) === 'postgres' ? sql`json_each_text(${object}::json) AS batch` : sql`json_each(${object}) AS batch`

/**
 * What a claiming SELECT adds so that hosts claiming at once each get other rows: PostgreSQL
 * locks the rows it takes and skips those another transaction holds; SQLite's write
 * transactions already run one at a time.
 */
export const skipLockedRows = (db: DbExecutor, table: SQLWrapper): SQL => (engineOf(db) === 'postgres' ? sql` FOR UPDATE OF ${table} SKIP LOCKED` : sql``)

/**
 * Like lockKey, but gives up at once when another transaction holds the key: true when this one
 * has it (always on SQLite). For work any host may do, where one at a time is enough.
 */
export const tryLockKey = async (tx: DbExecutor, key: string): Promise<boolean> => {
  if (engineOf(tx) !== 'postgres') return true
  const pg = tx as unknown as PgDatabase<PgQueryResultHKT>
  const result = (await pg.execute(sql`SELECT pg_try_advisory_xact_lock(hashtextextended(${key}, 0)) AS locked`)) as { rows: { locked: boolean }[] }
  return result.rows[0]?.locked === true
}

/**
 * A moment held by a placeholder, bound as `column` binds it (a Date becomes ms on SQLite, text on
 * PostgreSQL, where the cast lets a CASE or a comparison see a timestamptz).
 */
export const momentPlaceholder = (db: DbExecutor, name: string, column: DriverValueEncoder<Date, unknown>): SQL => {
  const bound = sql.param<unknown, unknown>(sql.placeholder(name), column)
  return engineOf(db) === 'postgres' ? sql`${bound}::timestamptz` : sql`${bound}`
}

/**
 * `column` is one of the strings of a JSON array held by a placeholder: a list of any length in one
 * statement text, so the statement can be prepared once (an IN list would change with its length).
 */
export const inJsonList = (db: DbExecutor, column: SQLWrapper, name: string): SQL =>
  engineOf(db) === 'postgres'
    ? sql`${column} IN (SELECT jsonb_array_elements_text(${sql.placeholder(name)}::jsonb))`
    : sql`${column} IN (SELECT value FROM json_each(${sql.placeholder(name)}))`
