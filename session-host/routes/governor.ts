import { Hono } from 'hono'
import { ok } from '../../shared/errors.ts'
import { SessionId } from '../../shared/ids.ts'
import { ConfigureGovernorRequest, GOVERNOR_ROUTES as ROUTES } from '../../shared/host-api/governor.ts'
import { jsonBody } from '../../shared/json-body.ts'
import type { SendGovernor } from '../governor/send-governor.ts'
import type { SessionManager } from '../sessions/session-manager.ts'

/** A session's send governor: what it counted, its own settings, and lifting the breaker's pause. */
export const governorRoutes = (governor: SendGovernor, sessions: SessionManager) => {
  // Any host answers from the shared database; the session must exist (404 otherwise).
  const sessionOf = async (raw: string | undefined): Promise<string> => (await sessions.view(SessionId.parse(raw))).sessionId
  return new Hono()
    .get(ROUTES.get.pattern, async c => c.json(ok('Send governor', await governor.view(await sessionOf(c.req.param('sessionId'))))))
    .put(ROUTES.configure.pattern, async c => {
      const sessionId = await sessionOf(c.req.param('sessionId'))
      const { settings } = await jsonBody(c, ConfigureGovernorRequest)
      return c.json(ok('Send governor configured', await governor.configure(sessionId, settings)))
    })
    .post(ROUTES.resume.pattern, async c => c.json(ok('New chats resumed', await governor.resume(await sessionOf(c.req.param('sessionId'))))))
}
