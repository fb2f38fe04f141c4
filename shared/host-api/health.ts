import { z } from '../zod.ts'
import { HOST_STATUSES } from '../statuses.ts'
import { hostRoute } from './host-route.ts'

/** A session host as the fleet's database lists it: `live` while it heartbeats; how many sessions it runs. */
export const FleetHost = z.object({ id: z.string(), url: z.string(), status: z.enum(HOST_STATUSES), live: z.boolean(), sessions: z.number().int() })

/** GET /internal/health: what the gateway's /api/health reports of the hosts. */
export const HostHealthAnswer = z.object({
  database: z.enum(['ok', 'unwritable']),
  sessions: z.record(z.string(), z.number()),
  /** The host that answered. */
  hostId: z.string(),
  /** It has registered and taken its share of the sessions (its first fleet round is done). */
  ready: z.boolean(),
  hosts: z.array(FleetHost)
})

export const HEALTH_ROUTE = hostRoute({ method: 'GET', pattern: '/internal/health', body: undefined, answer: HostHealthAnswer })
