import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { Hono } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { AppError } from '../../shared/errors.ts'
import { createJwtVerifier } from './jwt-verifier.ts'
import { bearerAuth, type AuthVariables } from './middleware.ts'
import { mintToken, type MintTokenInput } from './mint-token.ts'
import { filterSessions, requireScope, requireSession } from './scopes.ts'

const secret = 'middleware-test-secret-long-enough-for-hs256'
const allSessions = ['shop-1', 'shop-2', 'shop-3']

function buildApp(now?: () => Date) {
  const verifier = createJwtVerifier(now ? { secret, now } : { secret })
  const app = new Hono<{ Variables: AuthVariables }>()
  app.onError((error, c) => {
    if (error instanceof AppError) {
      return c.json({ success: false, error: { code: error.code } }, error.status as ContentfulStatusCode, error.headers)
    }
    return c.json({ success: false, error: { code: 'INTERNAL_ERROR' } }, 500)
  })
  app.use('/api/*', bearerAuth(verifier))
  app.get('/api/sessions', c => {
    const principal = c.get('principal')
    requireScope(principal, 'sessions:read')
    return c.json({ sessions: filterSessions(principal, allSessions) })
  })
  app.post('/api/sessions/:id/otp', c => {
    const principal = c.get('principal')
    requireScope(principal, 'otp:send')
    requireSession(principal, c.req.param('id'))
    return c.json({ sent: true, subject: principal.subject ?? null })
  })
  return app
}

const app = buildApp()

function token(input: Partial<MintTokenInput> & Pick<MintTokenInput, 'scopes'>): Promise<string> {
  return mintToken({ secret, ttlSeconds: 300, ...input })
}

function sendOtp(sessionId: string, authorization?: string, target = app) {
  const headers: Record<string, string> = authorization === undefined ? {} : { Authorization: authorization }
  return target.request(`/api/sessions/${sessionId}/otp`, { method: 'POST', headers })
}

async function assertError(response: Response, status: number, code: string, challenge?: string) {
  assert.equal(response.status, status)
  assert.deepEqual(await response.json(), { success: false, error: { code } })
  if (challenge !== undefined) assert.equal(response.headers.get('WWW-Authenticate'), challenge)
}

describe('bearerAuth', () => {
  it('lets a valid token through and exposes its principal', async () => {
    const response = await sendOtp('shop-1', `Bearer ${await token({ scopes: ['otp:send'], subject: 'shop-backend' })}`)
    assert.equal(response.status, 200)
    assert.deepEqual(await response.json(), { sent: true, subject: 'shop-backend' })
  })

  it('accepts the scheme in any case', async () => {
    const response = await sendOtp('shop-1', `bearer ${await token({ scopes: ['otp:send'] })}`)
    assert.equal(response.status, 200)
  })

  it('answers 401 with a bare Bearer challenge when no token is sent', async () => {
    await assertError(await sendOtp('shop-1'), 401, 'UNAUTHORIZED', 'Bearer')
  })

  it('answers 401 for a malformed Authorization header', async () => {
    const valid = await token({ scopes: ['otp:send'] })
    for (const header of ['Bearer', 'Bearer ', `Basic ${valid}`, valid, `Bearer ${valid} extra`, 'Bearer a b']) {
      await assertError(await sendOtp('shop-1', header), 401, 'UNAUTHORIZED', 'Bearer')
    }
  })

  it('answers 401 invalid_token for a token signed with another secret', async () => {
    const forged = await mintToken({ secret: 'someone-elses-secret-long-enough-for-hs256', scopes: ['admin'], ttlSeconds: 300 })
    await assertError(await sendOtp('shop-1', `Bearer ${forged}`), 401, 'UNAUTHORIZED', 'Bearer error="invalid_token"')
  })

  it('answers 401 TOKEN_EXPIRED for an expired token', async () => {
    const later = buildApp(() => new Date(Date.now() + 3_600_000))
    const response = await sendOtp('shop-1', `Bearer ${await token({ scopes: ['otp:send'] })}`, later)
    await assertError(response, 401, 'TOKEN_EXPIRED', 'Bearer error="invalid_token"')
  })

  it('answers 403 INSUFFICIENT_SCOPE when the token lacks the scope', async () => {
    const response = await sendOtp('shop-1', `Bearer ${await token({ scopes: ['otp:verify', 'sessions:read'] })}`)
    await assertError(response, 403, 'INSUFFICIENT_SCOPE', 'Bearer error="insufficient_scope", scope="otp:send"')
  })

  it('lets an admin token use every scope', async () => {
    const admin = `Bearer ${await token({ scopes: ['admin'] })}`
    assert.equal((await sendOtp('shop-2', admin)).status, 200)
    const list = await app.request('/api/sessions', { headers: { Authorization: admin } })
    assert.deepEqual(await list.json(), { sessions: allSessions })
  })

  it('answers 403 SESSION_FORBIDDEN for a session outside the sessions claim', async () => {
    const limited = `Bearer ${await token({ scopes: ['otp:send'], sessions: ['shop-1'] })}`
    assert.equal((await sendOtp('shop-1', limited)).status, 200)
    await assertError(await sendOtp('shop-2', limited), 403, 'SESSION_FORBIDDEN')
  })

  it('never lists sessions outside the sessions claim', async () => {
    const limited = `Bearer ${await token({ scopes: ['sessions:read'], sessions: ['shop-3', 'shop-1'] })}`
    const response = await app.request('/api/sessions', { headers: { Authorization: limited } })
    assert.deepEqual(await response.json(), { sessions: ['shop-1', 'shop-3'] })
  })

  it('never echoes the token in an error response', async () => {
    const forged = await mintToken({ secret: 'someone-elses-secret-long-enough-for-hs256', scopes: ['admin'], ttlSeconds: 300 })
    const response = await sendOtp('shop-1', `Bearer ${forged}`)
    const text = await response.text()
    for (const part of forged.split('.')) assert.ok(!text.includes(part))
    for (const [, value] of response.headers) assert.ok(!value.includes(forged))
  })
})
