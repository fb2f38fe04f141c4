import { EventId, SessionId } from '../../shared/ids.ts'
import { Hono } from 'hono'
import { ok } from '../../shared/errors.ts'
import { EndpointRequest, ReplayRequest, WEBHOOK_ROUTES as ROUTES } from '../../shared/host-api/webhooks.ts'
import type { Db } from '../db/connection.ts'
import { writeTransaction } from '../db/connection.ts'
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
      const saved = writeTransaction(db, tx => setSessionEndpoint(tx, { ...input, sessionId, now: clock() }))
      return c.json(ok('Webhook set', saved))
    })
    .get(ROUTES.getEndpoint.pattern, c => c.json(ok('Webhook', getSessionEndpoint(db, SessionId.parse(c.req.param('sessionId'))))))
    .delete(ROUTES.removeEndpoint.pattern, c => {
      const sessionId = SessionId.parse(c.req.param('sessionId'))
      removeSessionEndpoint(db, sessionId)
      return c.json(ok('Webhook removed', { sessionId }))
    })
    .get(ROUTES.deadLetters.pattern, c => {
      const sessionIds = sessionsFilter(c.req.query('sessions'))
      return c.json(ok('Dead letters', listDeadLetters(db, { ...(sessionIds ? { sessionIds } : {}) })))
    })
    .post(ROUTES.replay.pattern, async c => {
      const { sessionIds } = await jsonBody(c, ReplayRequest)
      const eventId = EventId.parse(c.req.param('eventId'))
      return c.json(ok('Dead letter queued again', replayDeadLetter(db, { eventId, now: clock(), ...(sessionIds ? { sessionIds } : {}) })))
    })
