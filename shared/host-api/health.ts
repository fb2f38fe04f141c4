import { z } from 'zod'
import { hostRoute } from './host-route.ts'

/** GET /internal/health: what the gateway's /api/health reports of the host. */
export const HostHealthAnswer = z.object({ database: z.enum(['ok', 'unwritable']), sessions: z.record(z.string(), z.number()) })

export const HEALTH_ROUTE = hostRoute({ method: 'GET', pattern: '/internal/health', body: undefined, answer: HostHealthAnswer })
