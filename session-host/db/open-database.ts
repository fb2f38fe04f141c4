import type { HostDatabase } from './database.ts'
import { openPostgres } from './postgres-database.ts'
import { openSqlite } from './sqlite-database.ts'

/**
 * The host's database: PostgreSQL when `databaseUrl` is a postgres:// URL (several hosts share
 * it), otherwise the embedded SQLite file.
 */
export const openDatabase = async (location: { databaseUrl?: string | undefined; sqliteFile: string }): Promise<HostDatabase> =>
  location.databaseUrl ? openPostgres(location.databaseUrl) : openSqlite(location.sqliteFile)
