import { createGateway } from '../../gateway/app.ts'
import { createJwtVerifier } from '../../gateway/auth/jwt-verifier.ts'
import { mintToken } from '../../gateway/auth/mint-token.ts'
import type { Scope } from '../../gateway/auth/scopes.ts'
import { parseGatewayConfig } from '../../gateway/env/config.ts'
import { createHostClient } from '../../gateway/host/host-client.ts'
import type { Call, Envelope } from './api-envelope.ts'
import { createFakeHost } from './fake-host.ts'
import { auditedLogger, codesIn, recordSensitive } from './log-audit.ts'
import { MAX_PHONE_NUMBERS } from '../../shared/phone-max.ts'

export const JWT_SECRET = 'jwt-secret-for-gateway-tests-0123456789'
export const INTERNAL_SECRET = 'internal-secret-for-gateway-tests-0123'
export const OTP_PEPPER = 'pepper-for-gateway-tests-0123456789abcd'
const AUDIENCE = 'otp-gateway'

/**
 * The gateway alone, in front of a fake session host (test/support/fake-host.ts): no emulator, no
 * SQLite, no Baileys. Configured as the in-process stack configures it, so a test moved here keeps
 * its expectations. The clock moves for link expiry; tokens are checked against the real time.
 */
export const gatewayOnFakeHost = ({ maxBodyBytes = 4096 }: { maxBodyBytes?: number } = {}) => {
  let offsetMs = 0
  const clock = () => Date.now() + offsetMs
  const logger = auditedLogger('gateway-on-fake-host')
  recordSensitive(JWT_SECRET, INTERNAL_SECRET, OTP_PEPPER)
  const config = parseGatewayConfig({
    HOST_URL: 'http://host.internal',
    INTERNAL_SECRET,
    JWT_SECRET,
    JWT_AUDIENCE: AUDIENCE,
    OTP_PEPPER,
    OTP_COMPANY_NAME: 'Toko Maju',
    MAX_BODY_BYTES: String(maxBodyBytes)
  })
  // The log audit learns every code the gateway rendered into a message.
  const host = createFakeHost({ secret: INTERNAL_SECRET, onCall: call => recordSensitive(...codesIn((call.body as { text?: string } | undefined)?.text)) })
  const gateway = createGateway({
    config,
    phoneNumbers: MAX_PHONE_NUMBERS,
    host: createHostClient({ hosts: config.HOST_URL, secret: INTERNAL_SECRET, fetch: host.fetch }),
    clock,
    verifier: createJwtVerifier({ secret: JWT_SECRET, audience: AUDIENCE }),
    onUnexpectedError: (error, requestId) => logger.error({ err: error, requestId }, 'unexpected error')
  })

  /** A token the gateway accepts: `scopes` space separated, optionally limited to `sessions`. */
  const token = async (scopes: string, extra: { sessions?: string[]; audience?: string; ttlSeconds?: number } = {}) => {
    const minted = await mintToken({
      secret: JWT_SECRET,
      scopes: scopes.split(' ') as Scope[],
      ttlSeconds: extra.ttlSeconds ?? 600,
      audience: extra.audience ?? AUDIENCE,
      ...(extra.sessions ? { sessions: extra.sessions } : {})
    })
    recordSensitive(minted)
    return minted
  }

  /** The gateway's answer; throws what the fake host caught (a refused signature, an undeclared route, a route that threw). */
  const request = async (path: string, init?: RequestInit): Promise<Response> => {
    const response = await gateway.request(path, init)
    const [failure] = host.takeFailures()
    if (failure) throw failure
    return response
  }

  const call = async (
    method: string,
    path: string,
    init: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {}
  ): Promise<Call> => {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...init.headers }
    if (init.token) headers.authorization = `Bearer ${init.token}`
    const body = init.raw ?? (init.body === undefined ? undefined : JSON.stringify(init.body))
    recordSensitive((init.body as { code?: string } | undefined)?.code)
    const response = await request(path, { method, headers, ...(body === undefined ? {} : { body }) })
    return { status: response.status, headers: response.headers, body: (await response.json().catch(() => undefined)) as Envelope }
  }

  return { gateway, host, call, request, token, advanceClock: (ms: number) => (offsetMs += ms) }
}
