import { is } from 'drizzle-orm'
import { PgDatabase } from 'drizzle-orm/pg-core'
import { SQLiteTransaction } from 'drizzle-orm/sqlite-core'
import type { BaseSQLiteDatabase } from 'drizzle-orm/sqlite-core'
import type { SqliteRemoteResult } from 'drizzle-orm/sqlite-proxy'
import * as pgTables from './pg-schema.ts'
import * as schema from './schema.ts'

/**
 * What the stores see of the host's database, whichever engine holds it. The store code is written
 * once, against SQLite's async query builders; on PostgreSQL the same calls go to pg-core's builders
 * and tables, which take the same method chains (see `openPostgres`). The one rule that makes this
 * hold: a query is awaited, never finished with `.get()`, `.all()` or `.run()`, which only SQLite
 * has. The store tests run on both engines to keep it so; schema-dialects.test.ts keeps the tables
 * and row types the same.
 */
export type Db = BaseSQLiteDatabase<'async', SqliteRemoteResult, typeof schema>

/** The database or a transaction on it: what code that writes as part of a caller's change takes. */
export type DbExecutor = Db

export type Transaction = Parameters<Parameters<DbExecutor['transaction']>[0]>[0]

export type Tables = typeof schema

export type Engine = 'sqlite' | 'postgres'

/** An open host database: its query handle, which engine it is, a write probe, and close. */
export type HostDatabase = {
  db: Db
  engine: Engine
  /** Whether the database takes writes now (a short probe); health reports it. */
  canWrite(): Promise<boolean>
  close(): Promise<void>
}

/**
 * The tables of the engine behind `db`: pg-core's on PostgreSQL, typed as SQLite's (the stores call
 * the builders both share). Not from drizzle's schema option: given one, drizzle builds a
 * relational query builder for every table in each transaction it opens, and nothing here uses them.
 */
export const tablesOf = (db: DbExecutor): Tables => (engineOf(db) === 'postgres' ? (pgTables as unknown as Tables) : schema)

export const engineOf = (db: DbExecutor): Engine => (is(db, PgDatabase) ? 'postgres' : 'sqlite')

/**
 * How SQLite runs a transaction: one connection, so the engine serializes every statement behind an
 * open transaction (see sqlite-database.ts). Registered per database when it opens.
 */
export type ExclusiveRunner = <T>(work: () => Promise<T>) => Promise<T>
const exclusiveRunners = new WeakMap<object, ExclusiveRunner>()
export const registerExclusiveRunner = (db: object, runner: ExclusiveRunner): void => {
  exclusiveRunners.set(db, runner)
}

/**
 * Every change runs here. On SQLite a transaction that takes the write lock at BEGIN (IMMEDIATE),
 * waiting busy_timeout for another process's writer, with this process's other statements held
 * until it ends; on PostgreSQL a transaction on one pooled connection. Inside a caller's
 * transaction it is a savepoint of that one.
 */
export const writeTransaction = <T>(db: DbExecutor, change: (tx: Transaction) => Promise<T>): Promise<T> => {
  if (is(db, SQLiteTransaction) || engineOf(db) === 'postgres') return db.transaction(change)
  const exclusive = exclusiveRunners.get(db)
  if (!exclusive) throw new Error('writeTransaction: this SQLite database was not opened by openSqlite')
  return exclusive(() => db.transaction(change, { behavior: 'immediate' }))
}
