import { count, inArray } from 'drizzle-orm'
import { tablesOf } from '../db/database.ts'
import type { Db } from '../db/database.ts'
import type { SessionManager } from '../sessions/session-manager.ts'
import type { HostSnapshot } from './host-metrics.ts'

/** Pending and dead webhook deliveries in the whole database (the queue depth and the dead letters). */
export const countWebhookDeliveries = async (db: Db): Promise<{ pending: number; dead: number }> => {
  const { webhookDeliveries } = tablesOf(db)
  const rows = await db
    .select({ status: webhookDeliveries.status, deliveries: count() })
    .from(webhookDeliveries)
    .where(inArray(webhookDeliveries.status, ['pending', 'dead']))
    .groupBy(webhookDeliveries.status)
  const of = (status: string) => Number(rows.find(row => row.status === status)?.deliveries ?? 0)
  return { pending: of('pending'), dead: of('dead') }
}

/**
 * The gauges' reading: the sessions whose lease this host holds (a fleet's hosts add up to every
 * session held), and the database-wide counts from the leader only, so a fleet reports them once.
 */
export const readHostSnapshot = async ({
  db,
  sessions,
  hostId,
  leader
}: {
  db: Db
  sessions: Pick<SessionManager, 'list'>
  hostId: string
  leader: boolean
}): Promise<HostSnapshot> => {
  const held = (await sessions.list()).filter(session => session.hostId === hostId)
  return {
    sessions: held.map(({ sessionId, status, restriction }) => ({ sessionId, status, restricted: restriction !== null })),
    leader,
    ...(leader ? { webhookDeliveries: await countWebhookDeliveries(db) } : {})
  }
}
