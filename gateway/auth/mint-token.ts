import { SignJWT } from 'jose'
import { hs256Key } from './hs256-key.ts'
import { SESSION_ID_PATTERN } from '../../shared/ids.ts'
import type { Scope } from './scopes.ts'

export type MintTokenInput = {
  secret: string
  scopes: readonly Scope[]
  /** Session IDs the token may use; omitted means every session. */
  sessions?: readonly string[]
  ttlSeconds: number
  issuer?: string
  audience?: string
  subject?: string
}

/** Signs an HS256 operator token that `createJwtVerifier({ secret })` accepts. */
export async function mintToken(input: MintTokenInput): Promise<string> {
  const key = hs256Key(input.secret)
  if (input.scopes.length === 0) throw new RangeError('A token needs at least one scope')
  if (!Number.isSafeInteger(input.ttlSeconds) || input.ttlSeconds <= 0) {
    throw new RangeError('The token lifetime must be a positive whole number of seconds')
  }

  const claims: Record<string, unknown> = { scope: [...new Set(input.scopes)].join(' ') }
  if (input.sessions !== undefined) {
    if (input.sessions.length === 0) throw new RangeError('The session list must not be empty when given')
    const invalid = input.sessions.find(id => !SESSION_ID_PATTERN.test(id))
    if (invalid !== undefined) throw new RangeError(`Invalid session ID: ${JSON.stringify(invalid)}`)
    claims.sessions = [...new Set(input.sessions)]
  }

  const now = Math.floor(Date.now() / 1000)
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt(now)
    .setExpirationTime(now + input.ttlSeconds)
    .setJti(crypto.randomUUID())
  if (input.issuer !== undefined) jwt.setIssuer(input.issuer)
  if (input.audience !== undefined) jwt.setAudience(input.audience)
  if (input.subject !== undefined) jwt.setSubject(input.subject)
  return jwt.sign(key)
}

const UNIT_SECONDS: Record<string, number> = { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }

/** Reads a lifetime such as `30d`, `12h`, `15m`, `45s` or a bare number of seconds. */
export function parseTtl(value: string): number {
  const match = /^(\d{1,10})([smhd]?)$/.exec(value.trim())
  const seconds = match ? Number(match[1]) * (UNIT_SECONDS[match[2] ?? ''] ?? Number.NaN) : Number.NaN
  if (!(seconds > 0)) {
    throw new RangeError(`Invalid lifetime ${JSON.stringify(value)}: use e.g. 30d, 12h, 15m or 3600`)
  }
  return seconds
}
