import { setTimeout as sleep } from 'node:timers/promises'
import { Hono } from 'hono'
import { ok } from '../../shared/errors.ts'
import { EVENT_ROUTES, EventReadQuery } from '../../shared/host-api/events.ts'
import type { Db } from '../db/database.ts'
import { assignAllStreamPositions } from '../events/stream-positions.ts'
import { readStream, streamHead } from '../events/stream-read.ts'
import type { SessionManager } from '../sessions/session-manager.ts'
import { knownSession } from '../sessions/known-session.ts'

/** How often a waiting read looks again. */
const POLL_MS = 200

/**
 * The event stream the gateway serves as Server-Sent Events, from the shared database (any host
 * answers). A read waits up to `waitMs` for an event it may show, and ends early when the gateway
 * hangs up.
 */
export const eventRoutes = ({ db, sessions }: { db: Db; sessions: Pick<SessionManager, 'view'> }) =>
  new Hono().get(EVENT_ROUTES.read.pattern, knownSession(sessions), async c => {
    const { after, waitMs, limit, ...query } = EventReadQuery.parse(c.req.query())
    await assignAllStreamPositions(db)
    if (after === undefined) return c.json(ok('Event stream', { events: [], next: await streamHead(db) }))
    const deadline = Date.now() + waitMs
    const hungUp = c.req.raw.signal
    let from = after
    for (;;) {
      const answer = await readStream(db, from, query, limit)
      from = answer.next
      if (answer.events.length > 0 || Date.now() >= deadline || hungUp.aborted) return c.json(ok('Event stream', answer))
      await sleep(Math.min(POLL_MS, Math.max(0, deadline - Date.now())))
      await assignAllStreamPositions(db)
    }
  })
