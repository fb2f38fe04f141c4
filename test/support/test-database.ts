import { after } from 'node:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Engine, HostDatabase } from '../../session-host/db/database.ts'
import { openPostgres } from '../../session-host/db/postgres-database.ts'
import { openSqlite } from '../../session-host/db/sqlite-database.ts'
import { startPostgres } from './postgres.ts'
import type { Postgres } from './postgres.ts'

/**
 * Store tests run once per engine with the same assertions: `for (const engine of ENGINES)
 * describe(…)`. A SQLite database is a file in a temporary folder; a PostgreSQL one is a new
 * database in this test file's private cluster, started on first use and stopped after the file.
 */
export const ENGINES: readonly Engine[] = ['sqlite', 'postgres']

export type TestDatabase = HostDatabase & {
  /** Another connection (SQLite) or pool (PostgreSQL) on the same database, as a second host would have. */
  connect(): Promise<HostDatabase>
  /** Where it lives: the SQLite file, or the PostgreSQL URL. */
  location: string
  /** Closes every connection made, then removes the database's folder (SQLite). */
  dispose(): Promise<void>
}

let cluster: Promise<Postgres> | undefined
// Registered as the module loads, so on the file's root: `after` called inside a test or a hook
// belongs to that test or hook, and would stop the cluster as soon as the first one ended.
after(async () => {
  await (await cluster)?.stop()
})
const sharedCluster = (): Promise<Postgres> => {
  cluster ??= startPostgres()
  return cluster
}

export const openTestDatabase = async (engine: Engine): Promise<TestDatabase> => {
  const opened: HostDatabase[] = []
  let location: string
  let removeFolder = (): void => {}
  if (engine === 'postgres') {
    location = await (await sharedCluster()).createDatabase()
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'store-test-'))
    location = join(dir, 'host.db')
    removeFolder = () => rmSync(dir, { recursive: true, force: true })
  }
  const connect = async (): Promise<HostDatabase> => {
    // Small pools: a test file opens many databases in one cluster (max_connections 100).
    const database = engine === 'postgres' ? await openPostgres(location, { poolSize: 4 }) : openSqlite(location)
    opened.push(database)
    return database
  }
  const first = await connect()
  return {
    ...first,
    connect,
    location,
    dispose: async () => {
      for (const database of opened.splice(0).reverse()) await database.close().catch(() => {})
      removeFolder()
    }
  }
}
