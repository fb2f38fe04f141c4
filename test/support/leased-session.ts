import { tablesOf, writeTransaction } from '../../session-host/db/database.ts'
import type { Db } from '../../session-host/db/database.ts'
import { takeNewLease } from '../../session-host/fleet/session-leases.ts'
import type { Fence } from '../../session-host/fleet/session-leases.ts'

/**
 * A stored session and this test's lease on it, as a host has once it created or took the session:
 * the session's writes are fenced, so code under test needs the fence to write anything.
 */
export const addLeasedSession = (db: Db, sessionId: string, { hostId = 'test-host', leaseMs = 600_000 } = {}): Promise<Fence> =>
  writeTransaction(db, async tx => {
    await tx.insert(tablesOf(tx).sessions).values({ id: sessionId })
    return takeNewLease(tx, sessionId, hostId, leaseMs)
  })
