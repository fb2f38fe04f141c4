import { timingSafeEqual } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { drizzle } from 'drizzle-orm/better-sqlite3'
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3'
import type { BaseSQLiteDatabase } from 'drizzle-orm/sqlite-core'
import { migrate } from 'drizzle-orm/better-sqlite3/migrator'
import * as schema from './schema.ts'

export type Db = BetterSQLite3Database<typeof schema>

/** The database or a transaction on it: what code that writes as part of a caller's change takes. */
export type DbExecutor = BaseSQLiteDatabase<'sync', Database.RunResult, typeof schema>

export type Transaction = Parameters<Parameters<DbExecutor['transaction']>[0]>[0]

/**
 * Every change runs here: a transaction that takes the write lock at BEGIN (IMMEDIATE), waiting
 * busy_timeout for another writer. A deferred one that reads first has to upgrade its lock to
 * write, and SQLite refuses that upgrade at once (SQLITE_BUSY, no wait) while another connection
 * holds the lock. Inside a caller's transaction it is a savepoint of that one.
 */
export const writeTransaction = <T>(db: DbExecutor, change: (tx: Transaction) => T): T => db.transaction(change, { behavior: 'immediate' })

const MIGRATIONS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'drizzle')

/**
 * Opens the host's SQLite file in WAL mode (readers never wait for the writer) with a busy
 * timeout, turns on foreign keys, and applies the checked-in migrations.
 */
export const openDatabase = (file: string): { db: Db; close(): void; canWrite(): boolean } => {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true })
  const sqlite = new Database(file)
  sqlite.pragma('journal_mode = WAL')
  sqlite.pragma('busy_timeout = 5000')
  sqlite.pragma('foreign_keys = ON')
  sqlite.pragma('synchronous = NORMAL')
  // OTP verification compares hashes inside its atomic UPDATE; '=' would leak timing.
  sqlite.function('ct_equal', { deterministic: true }, (a: unknown, b: unknown) => {
    if (typeof a !== 'string' || typeof b !== 'string') return 0
    const left = Buffer.from(a)
    const right = Buffer.from(b)
    return left.length === right.length && timingSafeEqual(left, right) ? 1 : 0
  })
  const db = drizzle(sqlite, { schema })
  migrate(db, { migrationsFolder: MIGRATIONS })
  return { db, close: () => sqlite.close(), canWrite: () => canWrite(sqlite) }
}

/**
 * Whether the database takes writes now: a write lock taken and given back at once, waiting at
 * most `waitMs` for another writer (a full disk, a read-only file or a lock held elsewhere fail).
 */
const canWrite = (sqlite: Database.Database, waitMs = 200): boolean => {
  const previous = sqlite.pragma('busy_timeout', { simple: true }) as number
  sqlite.pragma(`busy_timeout = ${waitMs}`)
  try {
    sqlite.exec('BEGIN IMMEDIATE')
    sqlite.exec('ROLLBACK')
    return true
  } catch {
    return false
  } finally {
    sqlite.pragma(`busy_timeout = ${previous}`)
  }
}
