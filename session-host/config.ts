import { z } from 'zod'

/** The session host's settings, from the environment, parsed once at start-up. */
export const HostConfigSchema = z.object({
  HOST_PORT: z.coerce.number().int().min(0).max(65_535).default(3001),
  /** Loopback unless the operator says otherwise: the host trusts no network. */
  HOST_BIND: z.string().default('127.0.0.1'),
  DATA_DIR: z.string().default('./data'),
  INTERNAL_SECRET: z.string().min(32, 'must be at least 32 characters'),
  WA_MODE: z.enum(['live', 'sandbox']).default('live'),
  /** Another WhatsApp Web endpoint for live mode, such as an emulator run by a test suite. */
  WA_WEBSOCKET_URL: z.url().optional(),
  /** Parent of this process's media spool folder (uploads and fetched files while they are sent). */
  MEDIA_TMP_DIR: z.string().optional(),
  /**
   * For tests only: `host:port` pairs a media URL may point at although they are loopback or
   * private (a local file server). Empty by default; never set it in production.
   */
  MEDIA_URL_ALLOW_HOSTS: z
    .string()
    .default('')
    .transform(list => new Set(list.split(',').map(item => item.trim()).filter(Boolean))),
  MEDIA_FETCH_TIMEOUT_MS: z.coerce.number().int().min(1000).max(300_000).default(30_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info')
})

export type HostConfig = z.infer<typeof HostConfigSchema>

/** Parses the environment, or throws an error that names each bad variable (never its value). */
export const parseHostConfig = (env: Record<string, string | undefined>): HostConfig => {
  const result = HostConfigSchema.safeParse(env)
  if (result.success) return result.data
  throw new Error(`Invalid session host configuration: ${result.error.issues.map(i => `${i.path.join('.')}: ${i.message}`).join('; ')}`)
}
