import { and, eq } from 'drizzle-orm'
import type { Logger } from 'pino'
import { tablesOf, writeTransaction } from '../db/database.ts'
import type { Db, DbExecutor, Tables, Transaction } from '../db/database.ts'
import { assertLease, LeaseLostError, leaseHeld } from '../fleet/session-leases.ts'
import type { Fence } from '../fleet/session-leases.ts'
import type { SessionEvent } from './session-event.ts'

export type SessionWritesOptions = {
  db: Db
  sessionId: string
  /** This host's lease on the session: nothing is stored once it is not current. */
  fence: Fence
  logger: Logger
  /** Records an event in the caller's transaction, with the change it reports (webhooks). */
  journal?: ((tx: DbExecutor, event: SessionEvent) => Promise<void>) | undefined
  /** Hears each event once it is stored. */
  onEvent?: ((event: SessionEvent) => void) | undefined
}

/**
 * What one session stores (its status row, its events, its creds, a wipe of its auth state), one
 * write after another in the order things happened, under the host's lease. It runs inside
 * Baileys' event handlers and timers, where a throw would end the process: a write the database
 * refuses is logged and costs that write, not every session.
 */
export class SessionWrites {
  private tail: Promise<void> = Promise.resolve()

  constructor(private readonly options: SessionWritesOptions) {}

  /** Resolves once every write asked for so far has been stored (or refused). */
  settled(): Promise<void> {
    return this.tail
  }

  /** Runs a write after the earlier ones. */
  enqueue(what: string, work: () => Promise<void>): Promise<void> {
    const done = this.tail.then(work).catch(error => this.options.logger.error({ err: error, write: what }, 'a session write failed'))
    this.tail = done
    return done
  }

  /**
   * Stores an event (journaled, with the change that goes with it, in one transaction), then hands
   * it on (the send queue's status changes). Once another host holds the session, nothing is
   * stored from here, nor handed on.
   */
  record(event: SessionEvent, change?: (tx: Transaction) => Promise<void>): void {
    const { db, sessionId, fence, journal, onEvent, logger } = this.options
    void this.enqueue(event.type, async () => {
      try {
        if (change || journal)
          await writeTransaction(db, async tx => {
            await assertLease(tx, sessionId, fence)
            await change?.(tx)
            await journal?.(tx, event)
          })
      } catch (error) {
        logger.error({ err: error, event: event.type }, 'a session event could not be stored')
        if (error instanceof LeaseLostError) return
      }
      try {
        onEvent?.(event)
      } catch (error) {
        logger.error({ err: error, event: event.type }, 'a session event could not be handled')
      }
    })
  }

  /** The session's row, as the status change it goes with. */
  recordStatus(event: SessionEvent, row: Partial<Tables['sessions']['$inferInsert']>): void {
    this.record(event, async tx => {
      const { sessions } = tablesOf(tx)
      await tx.update(sessions).set(row).where(eq(sessions.id, this.options.sessionId))
    })
  }

  /** Removes the session's creds and keys (a logout, or a link that failed half-way). */
  wipeAuthState(): void {
    const { db, sessionId, fence } = this.options
    void this.enqueue('auth wipe', () =>
      writeTransaction(db, async tx => {
        const { authCreds, authKeys } = tablesOf(tx)
        await tx.delete(authKeys).where(and(eq(authKeys.sessionId, sessionId), leaseHeld(tx, sessionId, fence)))
        await tx.delete(authCreds).where(and(eq(authCreds.sessionId, sessionId), leaseHeld(tx, sessionId, fence)))
      })
    )
  }
}
