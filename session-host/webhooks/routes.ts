import { SessionId } from '../../shared/sessions.ts'
import { Hono } from 'hono'
import { z } from 'zod'
import { ok } from '../../shared/errors.ts'
import { WEBHOOK_EVENT_TYPES } from '../../shared/webhook-events.ts'
import type { Db } from '../db/connection.ts'
import { writeTransaction } from '../db/connection.ts'
import { jsonBody } from '../routes/json-body.ts'
import { listDeadLetters, replayDeadLetter } from './dead-letters.ts'
import { getSessionEndpoint, removeSessionEndpoint, setSessionEndpoint } from './endpoints.ts'

const EventId = z.string().regex(/^evt_[A-Za-z0-9_-]{8,64}$/)
const Secret = z.string().regex(/^whsec_[A-Za-z0-9+/]+={0,2}$/)

/** A session webhook as the gateway hands it over, URL and secret already checked there. */
export const EndpointBody = z.object({
  url: z.url({ protocol: /^https?$/ }),
  events: z.array(z.enum(WEBHOOK_EVENT_TYPES)).min(1).nullable().optional(),
  newSecret: Secret.optional(),
  secretIfNone: Secret.optional()
})

const sessionsFilter = (query: string | undefined): string[] | undefined =>
  query === undefined ? undefined : query.split(',').filter(id => SessionId.safeParse(id).success)

/** Internal webhook routes: the gateway has already checked the caller's scope and sessions. */
export const webhookRoutes = ({ db, clock }: { db: Db; clock: () => number }) =>
  new Hono()
    .put('/endpoints/:sessionId', async c => {
      const input = await jsonBody(c, EndpointBody)
      const sessionId = SessionId.parse(c.req.param('sessionId'))
      const saved = writeTransaction(db, tx => setSessionEndpoint(tx, { ...input, sessionId, now: clock() }))
      return c.json(ok('Webhook set', saved))
    })
    .get('/endpoints/:sessionId', c => c.json(ok('Webhook', getSessionEndpoint(db, SessionId.parse(c.req.param('sessionId'))))))
    .delete('/endpoints/:sessionId', c => {
      const sessionId = SessionId.parse(c.req.param('sessionId'))
      removeSessionEndpoint(db, sessionId)
      return c.json(ok('Webhook removed', { sessionId }))
    })
    .get('/dead-letters', c => {
      const sessionIds = sessionsFilter(c.req.query('sessions'))
      return c.json(ok('Dead letters', listDeadLetters(db, { ...(sessionIds ? { sessionIds } : {}) })))
    })
    .post('/dead-letters/:eventId/replay', async c => {
      const { sessionIds } = await jsonBody(c, z.object({ sessionIds: z.array(SessionId).optional() }))
      const eventId = EventId.parse(c.req.param('eventId'))
      return c.json(ok('Dead letter queued again', replayDeadLetter(db, { eventId, now: clock(), ...(sessionIds ? { sessionIds } : {}) })))
    })
