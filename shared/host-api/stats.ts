import { z } from '../zod.ts'
import { MESSAGE_STATUSES, OTP_STATUSES } from '../statuses.ts'
import { hostRoute } from './host-route.ts'
import { ListQuery } from './list-page.ts'

/** How far back the stats look when the caller does not say. */
export const STATS_DEFAULT_WINDOW_MS = 24 * 60 * 60 * 1000

/** The statuses of an OTP's message that the funnel counts (queued and sending are not yet on the way). */
export const OTP_DELIVERY_STATUSES = ['sent', 'delivered', 'read', 'failed'] as const

const countsOf = <const Statuses extends readonly [string, ...string[]]>(statuses: Statuses) =>
  z.object(Object.fromEntries(statuses.map(status => [status, z.number().int()])) as { [Status in Statuses[number]]: z.ZodNumber })

/** GET /internal/stats: the gateway has filled in the window. */
export const StatsQuery = ListQuery.pick({ sessionId: true, sessions: true }).extend({
  since: z.iso.datetime({ offset: true }),
  until: z.iso.datetime({ offset: true })
})

/** Messages and OTPs created in [since, until), counted by the status each is in now. */
export const StatsAnswer = z.object({
  since: z.string(),
  until: z.string(),
  messages: countsOf(MESSAGE_STATUSES),
  otps: countsOf(OTP_STATUSES),
  /** The messages that carry an OTP, by status. */
  otpDelivery: countsOf(OTP_DELIVERY_STATUSES)
})
export type StatsAnswer = z.infer<typeof StatsAnswer>

export const STATS_ROUTES = {
  get: hostRoute({ method: 'GET', pattern: '/internal/stats', body: undefined, answer: StatsAnswer })
}
