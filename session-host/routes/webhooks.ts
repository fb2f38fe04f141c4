import { EventId, SessionId } from '../../shared/ids.ts'
import { Hono } from 'hono'
import { ok } from '../../shared/errors.ts'
import { EndpointRequest, ReplayRequest, WEBHOOK_ROUTES as ROUTES } from '../../shared/host-api/webhooks.ts'
import { writeTransaction } from '../db/database.ts'
import type { Db } from '../db/database.ts'
import { jsonBody } from '../../shared/json-body.ts'
import { listDeadLetters, replayDeadLetter } from '../webhooks/dead-letters.ts'
import { getSessionEndpoint, removeSessionEndpoint, setSessionEndpoint } from '../webhooks/endpoints.ts'

const sessionsFilter = (query: string | undefined): string[] | undefined =>
  query === undefined ? undefined : query.split(',').filter(id => SessionId.safeParse(id).success)

/** Internal webhook routes: the gateway has already checked the caller's scope and sessions. */
export const webhookRoutes = ({ db, clock }: { db: Db; clock: () => number }) =>
  new Hono()
    .put(ROUTES.setEndpoint.pattern, async c => {
      const input = await jsonBody(c, EndpointRequest)
      const sessionId = SessionId.parse(c.req.param('sessionId'))
      const saved = await writeTransaction(db, tx => setSessionEndpoint(tx, { ...input, sessionId, now: clock() }))
      return c.json(ok('Webhook set', saved))
    })
    .get(ROUTES.getEndpoint.pattern, async c => c.json(ok('Webhook', await getSessionEndpoint(db, SessionId.parse(c.req.param('sessionId'))))))
    .delete(ROUTES.removeEndpoint.pattern, async c => {
      const sessionId = SessionId.parse(c.req.param('sessionId'))
      await removeSessionEndpoint(db, sessionId)
      return c.json(ok('Webhook removed', { sessionId }))
    })
    .get(ROUTES.deadLetters.pattern, async c => {
      const sessionIds = sessionsFilter(c.req.query('sessions'))
      return c.json(ok('Dead letters', await listDeadLetters(db, { ...(sessionIds ? { sessionIds } : {}) })))
    })
    .post(ROUTES.replay.pattern, async c => {
      const { sessionIds } = await jsonBody(c, ReplayRequest)
      const eventId = EventId.parse(c.req.param('eventId'))
      return c.json(ok('Dead letter queued again', await replayDeadLetter(db, { eventId, now: clock(), ...(sessionIds ? { sessionIds } : {}) })))
    })
