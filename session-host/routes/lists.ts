import { Hono } from 'hono'
import { ok } from '../../shared/errors.ts'
import { listFilterOf } from '../../shared/host-api/list-page.ts'
import { MESSAGE_ROUTES, MessageListQuery } from '../../shared/host-api/messages.ts'
import { OTP_ROUTES, OtpListQuery } from '../../shared/host-api/otp.ts'
import { STATS_ROUTES, StatsQuery } from '../../shared/host-api/stats.ts'
import type { StatsAnswer } from '../../shared/host-api/stats.ts'
import { OTP_DELIVERY_STATUSES } from '../../shared/host-api/stats.ts'
import { DeliveryListQuery, WEBHOOK_ROUTES } from '../../shared/host-api/webhooks.ts'
import { MESSAGE_STATUSES, OTP_STATUSES } from '../../shared/statuses.ts'
import type { Db } from '../db/database.ts'
import { countMessagesByStatus } from '../outbox/message-counts.ts'
import { listMessages } from '../outbox/message-list.ts'
import { countOtpsByStatus } from '../otp/otp-counts.ts'
import { listOtps } from '../otp/otp-list.ts'
import { listDeliveries } from '../webhooks/delivery-log.ts'
import type { SessionManager } from '../sessions/session-manager.ts'
import { knownSession } from '../sessions/known-session.ts'

/** Every status of a vocabulary, with its count (0 for those no row is in). */
const tally = <Status extends string>(statuses: readonly Status[], counts: Map<Status, number>) =>
  Object.fromEntries(statuses.map(status => [status, counts.get(status) ?? 0])) as Record<Status, number>

/**
 * Read-only views across sessions: any host answers them from the shared database. The gateway
 * has checked the caller's scope and passes the token's sessions (`sessions`), which the SQL keeps to.
 */
export const listRoutes = ({ db, sessions }: { db: Db; sessions: Pick<SessionManager, 'view'> }) => {
  const known = knownSession(sessions)
  return new Hono()
    .get(MESSAGE_ROUTES.list.pattern, known, async c => {
      const query = MessageListQuery.parse(c.req.query())
      return c.json(ok('Messages', await listMessages(db, { ...listFilterOf(query), ...(query.status ? { status: query.status } : {}) })))
    })
    .get(OTP_ROUTES.list.pattern, known, async c => {
      const query = OtpListQuery.parse(c.req.query())
      return c.json(ok('OTPs', await listOtps(db, { ...listFilterOf(query), ...(query.status ? { status: query.status } : {}) })))
    })
    .get(WEBHOOK_ROUTES.deliveries.pattern, known, async c => {
      const query = DeliveryListQuery.parse(c.req.query())
      return c.json(ok('Webhook deliveries', await listDeliveries(db, { ...listFilterOf(query), ...(query.status ? { status: query.status } : {}) })))
    })
    .get(STATS_ROUTES.get.pattern, known, async c => {
      const { sessionId, sessions, since, until } = StatsQuery.parse(c.req.query())
      const window = { ...(sessionId ? { sessionId } : {}), ...(sessions ? { sessions } : {}), since: Date.parse(since), until: Date.parse(until) }
      const [messages, otps, otpDelivery] = await Promise.all([
        countMessagesByStatus(db, window),
        countOtpsByStatus(db, window),
        countMessagesByStatus(db, window, { otpOnly: true })
      ])
      const stats: StatsAnswer = {
        since: new Date(window.since).toISOString(),
        until: new Date(window.until).toISOString(),
        messages: tally(MESSAGE_STATUSES, messages),
        otps: tally(OTP_STATUSES, otps),
        otpDelivery: tally(OTP_DELIVERY_STATUSES, otpDelivery)
      }
      return c.json(ok('Stats', stats))
    })
}
