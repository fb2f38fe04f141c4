import type { MiddlewareHandler } from 'hono'
import type { SessionManager } from './session-manager.ts'

/**
 * A view narrowed to a session that does not exist is a 404 SESSION_NOT_FOUND, as the session's
 * own routes answer, not an empty page that looks like a session with no traffic.
 */
export const knownSession =
  (sessions: Pick<SessionManager, 'view'>): MiddlewareHandler =>
  async (c, next) => {
    const sessionId = c.req.query('sessionId')
    if (sessionId !== undefined) await sessions.view(sessionId)
    await next()
  }
