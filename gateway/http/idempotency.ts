import type { Context } from 'hono'
import type { GatewayEnv } from '../env/gateway-env.ts'
import { appError } from '../../shared/errors.ts'

export { IDEMPOTENCY_KEY_TTL_HOURS } from '../../shared/idempotency.ts'

const KEY = /^[\x21-\x7e]{1,255}$/

export const idempotencyKeyHeader = (c: Context): string | undefined => {
  const key = c.req.header('idempotency-key')
  if (key === undefined) return undefined
  if (!KEY.test(key))
    throw appError('VALIDATION_ERROR', 'Idempotency-Key must be 1-255 visible ASCII characters', { fields: [{ path: 'Idempotency-Key', message: 'Invalid' }] })
  return key
}

/**
 * The caller's Idempotency-Key with a digest of what it asked for (route and validated body), so
 * the host can tell a retry (same digest: first result again) from a reuse (another digest: 422).
 * The digest is keyed with the pepper: a body may hold the caller's own OTP code, and a plain hash
 * of six digits is reversed in a second.
 */
export const idempotencyOf = async (c: Context<GatewayEnv>, body: unknown): Promise<{ key: string; hash: string } | undefined> => {
  const key = idempotencyKeyHeader(c)
  if (!key) return undefined
  const message = new TextEncoder().encode(`idempotency\n${c.req.method} ${c.req.path}\n${JSON.stringify(body)}`)
  const pepper = await c.var.deps.otpPepper
  const digest = 'sign' in pepper ? await pepper.sign(message) : await crypto.subtle.sign('HMAC', pepper, message)
  return { key, hash: [...new Uint8Array(digest)].map(b => b.toString(16).padStart(2, '0')).join('') }
}
