import { and, asc, eq, gt, sql } from 'drizzle-orm'
import { tablesOf } from '../db/database.ts'
import type { DbExecutor } from '../db/database.ts'
import { databaseNow, databaseNowPlus } from '../db/dialect-sql.ts'
import type { HostStatus } from '../../shared/statuses.ts'

/** A host as the fleet sees it: `live` while it heartbeats within the lease time and has not stopped. */
export type HostRecord = { id: string; url: string; status: HostStatus; live: boolean; sessions: number }

/** Registers this host (again, after a restart) as `up`, with the URL others reach it at. */
export const registerHost = async (db: DbExecutor, host: { id: string; url: string }): Promise<void> => {
  const { hosts } = tablesOf(db)
  const now = databaseNow(db)
  await db
    .insert(hosts)
    .values({ id: host.id, url: host.url, status: 'up', startedAt: now, heartbeatAt: now })
    .onConflictDoUpdate({ target: hosts.id, set: { url: host.url, status: 'up', startedAt: now, heartbeatAt: now } })
}

export const heartbeat = async (db: DbExecutor, hostId: string): Promise<void> => {
  const { hosts } = tablesOf(db)
  await db
    .update(hosts)
    .set({ heartbeatAt: databaseNow(db) })
    .where(eq(hosts.id, hostId))
}

export const setHostStatus = async (db: DbExecutor, hostId: string, status: HostStatus): Promise<void> => {
  const { hosts } = tablesOf(db)
  await db
    .update(hosts)
    .set({ status, heartbeatAt: databaseNow(db) })
    .where(eq(hosts.id, hostId))
}

/**
 * Every registered host, oldest id first, with how many sessions it holds now and whether it is
 * live: `up` and heard from within `liveMs` (database clock). A host that stopped cleanly or went
 * silent is listed, not live.
 */
export const listHosts = async (db: DbExecutor, liveMs: number): Promise<HostRecord[]> => {
  const { hosts, sessionLeases } = tablesOf(db)
  const threshold = databaseNowPlus(db, -liveMs)
  const rows = await db
    .select({
      id: hosts.id,
      url: hosts.url,
      status: hosts.status,
      live: sql<unknown>`CASE WHEN ${hosts.status} = 'up' AND ${hosts.heartbeatAt} > ${threshold} THEN 1 ELSE 0 END`,
      sessions: sql<unknown>`(SELECT count(*) FROM ${sessionLeases} WHERE ${sessionLeases.owner} = ${hosts.id} AND ${sessionLeases.expiresAt} > ${databaseNow(db)})`
    })
    .from(hosts)
    .orderBy(asc(hosts.id))
  return rows.map(row => ({ id: row.id, url: row.url, status: row.status, live: Number(row.live) === 1, sessions: Number(row.sessions) }))
}

/** The hosts live now, by id: the fleet's shares are the hosted sessions divided among them. */
export const liveHostIds = async (db: DbExecutor, liveMs: number): Promise<string[]> => {
  const { hosts } = tablesOf(db)
  const rows = await db
    .select({ id: hosts.id })
    .from(hosts)
    .where(and(eq(hosts.status, 'up'), gt(hosts.heartbeatAt, databaseNowPlus(db, -liveMs))))
    .orderBy(asc(hosts.id))
  return rows.map(row => row.id)
}
