import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { AppError } from '../../shared/errors.ts'
import { canUseSession, filterSessions, hasScope, parseScopes, parseSessionsClaim, requireScope, requireSession, type Principal, type Scope } from './scopes.ts'

function principal(scopes: Scope[], sessions?: string[]): Principal {
  return sessions === undefined ? { scopes: new Set(scopes) } : { scopes: new Set(scopes), sessions }
}

function assertAppError(fn: () => unknown, code: string, status: number): AppError {
  let caught: unknown
  try {
    fn()
  } catch (error) {
    caught = error
  }
  assert.ok(caught instanceof AppError, 'expected an AppError')
  assert.equal(caught.code, code)
  assert.equal(caught.status, status)
  return caught
}

describe('parseScopes', () => {
  it('reads a space-separated scope claim', () => {
    assert.deepEqual(parseScopes('otp:send  otp:verify'), new Set(['otp:send', 'otp:verify']))
  })

  it('reads an array scope claim', () => {
    assert.deepEqual(parseScopes(['sessions:read', 'admin']), new Set(['sessions:read', 'admin']))
  })

  it('ignores unknown scopes and anything that is not a string', () => {
    assert.deepEqual(parseScopes('otp:send root otp:*'), new Set(['otp:send']))
    assert.deepEqual(parseScopes(['otp:verify', 42, null, { admin: true }]), new Set(['otp:verify']))
    assert.deepEqual(parseScopes(undefined), new Set())
    assert.deepEqual(parseScopes(7), new Set())
    assert.deepEqual(parseScopes({ scope: 'admin' }), new Set())
  })
})

describe('parseSessionsClaim', () => {
  it('treats an absent claim as every session', () => {
    assert.equal(parseSessionsClaim(undefined), undefined)
  })

  it('accepts a list of session IDs, without duplicates', () => {
    assert.deepEqual(parseSessionsClaim(['shop-1', 'shop_2', 'shop-1']), ['shop-1', 'shop_2'])
  })

  it('refuses the whole token when the claim is malformed', () => {
    for (const claim of ['shop-1', null, 42, {}, [1], ['shop 1'], ['../x'], ['a'.repeat(65)], [''], ['ok', 7]]) {
      const error = assertAppError(() => parseSessionsClaim(claim), 'UNAUTHORIZED', 401)
      assert.equal(error.headers?.['WWW-Authenticate'], 'Bearer error="invalid_token"')
    }
  })
})

describe('requireScope', () => {
  it('passes when the token holds the scope', () => {
    assert.doesNotThrow(() => requireScope(principal(['otp:send']), 'otp:send'))
  })

  it('refuses with 403 INSUFFICIENT_SCOPE naming the missing scope', () => {
    const error = assertAppError(() => requireScope(principal(['otp:send']), 'otp:verify'), 'INSUFFICIENT_SCOPE', 403)
    assert.deepEqual(error.details, { required: 'otp:verify' })
    assert.equal(error.headers?.['WWW-Authenticate'], 'Bearer error="insufficient_scope", scope="otp:verify"')
  })

  it('lets admin stand in for every scope', () => {
    const admin = principal(['admin'])
    for (const scope of ['sessions:read', 'sessions:write', 'messages:send', 'otp:send', 'otp:verify'] as const) {
      assert.doesNotThrow(() => requireScope(admin, scope))
      assert.equal(hasScope(admin, scope), true)
    }
  })

  it('does not let one ordinary scope imply another', () => {
    assert.equal(hasScope(principal(['sessions:write']), 'sessions:read'), false)
  })
})

describe('session restrictions', () => {
  it('allows every session when the token has no sessions claim', () => {
    assert.equal(canUseSession(principal(['otp:send']), 'anything'), true)
  })

  it('refuses a session outside the claim with 403 SESSION_FORBIDDEN', () => {
    const limited = principal(['otp:send'], ['shop-1'])
    assert.equal(canUseSession(limited, 'shop-1'), true)
    assert.equal(canUseSession(limited, 'shop-2'), false)
    assert.doesNotThrow(() => requireSession(limited, 'shop-1'))
    assertAppError(() => requireSession(limited, 'shop-2'), 'SESSION_FORBIDDEN', 403)
  })

  it('keeps an admin token within its sessions claim', () => {
    assertAppError(() => requireSession(principal(['admin'], ['shop-1']), 'shop-2'), 'SESSION_FORBIDDEN', 403)
  })

  it('allows no session at all for an empty claim', () => {
    assert.equal(canUseSession(principal(['admin'], []), 'shop-1'), false)
  })

  it('filters lists down to the sessions the token may see, in order', () => {
    const ids = ['shop-3', 'shop-1', 'shop-2']
    assert.deepEqual(filterSessions(principal(['sessions:read'], ['shop-2', 'shop-3']), ids), ['shop-3', 'shop-2'])
    assert.deepEqual(filterSessions(principal(['sessions:read']), ids), ids)
  })
})
