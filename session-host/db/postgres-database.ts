import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { drizzle } from 'drizzle-orm/node-postgres'
import { migrate } from 'drizzle-orm/node-postgres/migrator'
import pg from 'pg'
import type { Db, HostDatabase } from './database.ts'

const MIGRATIONS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'drizzle', 'postgres')

/** Any fixed number: hosts starting together take it so one of them migrates at a time. */
const MIGRATION_LOCK = 7_061_512

/**
 * Opens a pool on the PostgreSQL at `url` and applies the checked-in migrations (one host at a
 * time, under an advisory lock). The handle it gives the stores is typed as the SQLite one: the
 * stores call the builders both dialects share, with pg-core's tables (schema-dialects.test.ts
 * keeps the two schemas the same; the store tests run on both engines).
 */
export const openPostgres = async (url: string, options: { poolSize?: number } = {}): Promise<HostDatabase> => {
  const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 10 })
  // An idle client that loses its server must not take the process down with an unhandled 'error'.
  pool.on('error', () => {})
  const client = await pool.connect()
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK])
    await migrate(drizzle(client), { migrationsFolder: MIGRATIONS })
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {})
    client.release()
  }
  const db = drizzle(pool) as unknown as Db
  return {
    db,
    engine: 'postgres',
    canWrite: async () => {
      try {
        const { rows } = await pool.query<{ writable: boolean }>('SELECT NOT pg_is_in_recovery() AS writable')
        return rows[0]?.writable === true
      } catch {
        return false
      }
    },
    close: () => pool.end()
  }
}
