import { z } from 'zod'
import { parseAllowedHosts } from '../../shared/allowed-hosts.ts'

/** The gateway's settings, from the environment, parsed once at start-up. */
export const GatewayConfigSchema = z
  .object({
    /** The session hosts, comma-separated: one, or a fleet sharing a PostgreSQL (each host's HOST_ADVERTISE_URL). */
    HOST_URL: z
      .string()
      .transform(text => text.split(/[\s,]+/).filter(Boolean))
      .pipe(z.array(z.url({ protocol: /^https?$/ })).min(1, 'must name at least one host')),
    INTERNAL_SECRET: z.string().min(32, 'must be at least 32 characters'),
    JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    // Keys fetched over plain HTTP could be swapped on the way; only loopback may skip TLS.
    JWT_JWKS_URL: z
      .url()
      .refine(url => url.startsWith('https://') || /^http:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?\//.test(url), 'must be https (or http on loopback)')
      .optional(),
    JWT_ISSUER: z.string().min(1).optional(),
    JWT_AUDIENCE: z.string().min(1).optional(),
    OTP_PEPPER: z.string().min(32, 'must be at least 32 characters'),
    DEFAULT_COUNTRY: z
      .string()
      .regex(/^[A-Z]{2}$/, 'must be a two-letter country code')
      .default('ID'),
    OTP_COMPANY_NAME: z.string().min(1).max(64).default('Our service'),
    WA_MODE: z.enum(['live', 'sandbox']).default('live'),
    MAX_BODY_BYTES: z.coerce
      .number()
      .int()
      .positive()
      .default(64 * 1024),
    /** Hosts a webhook URL may name although they are private or loopback: `host` or `host:port`. */
    WEBHOOK_ALLOWED_HOSTS: z.string().default('').transform(parseAllowedHosts),
    WEBHOOK_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
    /** A bearer token for GET /metrics alone (a Prometheus scraper), besides an `admin` JWT. */
    METRICS_TOKEN: z.string().min(32, 'must be at least 32 characters').optional(),
    /** GET /api/events writes a comment this often when no event came, so proxies keep the stream open. */
    EVENT_STREAM_KEEPALIVE_MS: z.coerce.number().int().min(100).max(25_000).default(15_000)
  })
  .refine(env => Boolean(env.JWT_SECRET) !== Boolean(env.JWT_JWKS_URL), {
    message: 'set exactly one of JWT_SECRET or JWT_JWKS_URL',
    path: ['JWT_SECRET']
  })

export type GatewayConfig = z.infer<typeof GatewayConfigSchema>

/** Parses the environment, or throws an error that names each bad variable (never its value). */
export const parseGatewayConfig = (env: Record<string, string | undefined>): GatewayConfig => {
  const result = GatewayConfigSchema.safeParse(env)
  if (result.success) return result.data
  const problems = result.error.issues.map(issue => `${issue.path.join('.') || 'config'}: ${issue.message}`)
  throw new Error(`Invalid gateway configuration: ${problems.join('; ')}`)
}
