import { timingSafeEqual } from 'node:crypto'
import { mkdirSync, realpathSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { drizzle as drizzleSync } from 'drizzle-orm/better-sqlite3'
import { migrate } from 'drizzle-orm/better-sqlite3/migrator'
import { drizzle } from 'drizzle-orm/sqlite-proxy'
import { registerExclusiveRunner } from './database.ts'
import type { Db, HostDatabase } from './database.ts'
import { SerialConnection } from './serial-connection.ts'

const MIGRATIONS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'drizzle')

/** Prepared statements kept per connection: preparing costs more than running a short one. */
const STATEMENT_CACHE_SIZE = 500

/**
 * The turn-taking of each file this process has open, shared by its handles: a second handle's
 * BEGIN IMMEDIATE would otherwise busy-wait, blocking the thread, for a lock that only this same
 * thread can release (SQLITE_BUSY after busy_timeout).
 */
const turnsByFile = new Map<string, { connection: SerialConnection; handles: number }>()

const sharedTurns = (file: string): { connection: SerialConnection; release(): void } => {
  if (file === ':memory:') return { connection: new SerialConnection(), release: () => {} }
  const key = realpathSync(file)
  const entry = turnsByFile.get(key) ?? { connection: new SerialConnection(), handles: 0 }
  entry.handles++
  turnsByFile.set(key, entry)
  return {
    connection: entry.connection,
    release: () => {
      if (--entry.handles === 0) turnsByFile.delete(key)
    }
  }
}

/**
 * Opens the host's SQLite file in WAL mode (readers never wait for the writer) with a busy timeout,
 * turns on foreign keys, applies the checked-in migrations, and hands drizzle an async handle on it:
 * better-sqlite3 runs each statement at once, behind the one open transaction (SerialConnection).
 */
export const openSqlite = (file: string): HostDatabase => {
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
  migrate(drizzleSync(sqlite), { migrationsFolder: MIGRATIONS })

  const statements = new Map<string, Database.Statement>()
  const prepare = (query: string): Database.Statement => {
    let statement = statements.get(query)
    if (!statement) {
      if (statements.size >= STATEMENT_CACHE_SIZE) statements.delete(statements.keys().next().value as string)
      statement = sqlite.prepare(query)
      statements.set(query, statement)
    }
    return statement
  }
  const execute = (query: string, params: unknown[], method: 'run' | 'all' | 'values' | 'get') => {
    const statement = prepare(query)
    if (method === 'run') return { rows: [], ...statement.run(...params) }
    if (method === 'get') return { rows: statement.raw().get(...params) as unknown[] }
    return { rows: statement.raw().all(...params) }
  }

  const { connection, release } = sharedTurns(file)
  const db: Db = drizzle(async (query, params, method) => {
    await connection.turn()
    return execute(query, params, method)
  })
  registerExclusiveRunner(db, work => connection.exclusive(work))
  return {
    db,
    engine: 'sqlite',
    canWrite: async () => {
      await connection.turn()
      return canWrite(sqlite)
    },
    close: async () => {
      await connection.exclusive(async () => sqlite.close())
      release()
    }
  }
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
