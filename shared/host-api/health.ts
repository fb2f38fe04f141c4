import { z } from 'zod'

/** GET /internal/health: what the gateway's /api/health reports of the host. */
export const HostHealthAnswer = z.object({ database: z.enum(['ok', 'unwritable']), sessions: z.record(z.string(), z.number()) })
