import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { SignJWT, base64url, exportJWK, generateKeyPair, type CryptoKey, type GenerateKeyPairResult, type JWTPayload } from 'jose'
import { AppError } from '../../shared/errors.ts'
import { createJwtVerifier, type JwtVerifier } from './jwt-verifier.ts'
import { mintToken } from './mint-token.ts'

const secret = 'test-secret-that-is-long-enough-for-hs256'
const otherSecret = 'another-secret-that-is-long-enough-too!!'
const key = new TextEncoder().encode(secret)

function signHs(claims: JWTPayload, { alg = 'HS256', signingKey = key } = {}): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg, typ: 'JWT' }).sign(signingKey)
}

function inOneHour(): number {
  return Math.floor(Date.now() / 1000) + 3600
}

function unsecuredToken(payload: JWTPayload): string {
  const encode = (value: unknown) => base64url.encode(JSON.stringify(value))
  return `${encode({ alg: 'none', typ: 'JWT' })}.${encode(payload)}.`
}

async function rejection(verifier: JwtVerifier, token: string): Promise<AppError> {
  try {
    await verifier.verify(token)
  } catch (error) {
    assert.ok(error instanceof AppError, `expected an AppError, got ${String(error)}`)
    return error
  }
  assert.fail('the token was accepted')
}

async function assertInvalid(verifier: JwtVerifier, token: string): Promise<void> {
  const error = await rejection(verifier, token)
  assert.equal(error.code, 'UNAUTHORIZED')
  assert.equal(error.status, 401)
  assert.equal(error.headers?.['WWW-Authenticate'], 'Bearer error="invalid_token"')
}

describe('createJwtVerifier with a shared secret', () => {
  const verifier = createJwtVerifier({ secret })

  it('accepts a valid HS256 token and reads its scopes, sessions, subject and ID', async () => {
    const token = await mintToken({
      secret,
      scopes: ['otp:send', 'otp:verify'],
      sessions: ['shop-1', 'shop-2'],
      ttlSeconds: 600,
      subject: 'shop-backend'
    })
    const principal = await verifier.verify(token)
    assert.deepEqual(principal.scopes, new Set(['otp:send', 'otp:verify']))
    assert.deepEqual(principal.sessions, ['shop-1', 'shop-2'])
    assert.equal(principal.subject, 'shop-backend')
    assert.match(principal.tokenId ?? '', /^[0-9a-f-]{36}$/)
  })

  it('leaves sessions undefined (every session) when the claim is absent', async () => {
    const principal = await verifier.verify(await mintToken({ secret, scopes: ['admin'], ttlSeconds: 60 }))
    assert.equal(principal.sessions, undefined)
    assert.deepEqual(principal.scopes, new Set(['admin']))
  })

  it('refuses a token signed with another secret', async () => {
    await assertInvalid(verifier, await mintToken({ secret: otherSecret, scopes: ['admin'], ttlSeconds: 60 }))
  })

  it('refuses a token whose payload was altered after signing', async () => {
    const token = await mintToken({ secret, scopes: ['otp:send'], ttlSeconds: 60 })
    const [header, , signature] = token.split('.')
    const forged = base64url.encode(JSON.stringify({ scope: 'admin', exp: inOneHour() }))
    await assertInvalid(verifier, `${header}.${forged}.${signature}`)
  })

  it('refuses an unsigned alg "none" token', async () => {
    await assertInvalid(verifier, unsecuredToken({ scope: 'admin', exp: inOneHour() }))
  })

  it('refuses an HS512 token even when signed with the right secret', async () => {
    await assertInvalid(verifier, await signHs({ scope: 'admin', exp: inOneHour() }, { alg: 'HS512' }))
  })

  it('reports an expired token as TOKEN_EXPIRED', async () => {
    const token = await mintToken({ secret, scopes: ['otp:send'], ttlSeconds: 60 })
    const later = createJwtVerifier({ secret, now: () => new Date(Date.now() + 120_000) })
    const error = await rejection(later, token)
    assert.equal(error.code, 'TOKEN_EXPIRED')
    assert.equal(error.status, 401)
    assert.equal(error.headers?.['WWW-Authenticate'], 'Bearer error="invalid_token"')
  })

  it('honours the configured clock tolerance', async () => {
    const token = await mintToken({ secret, scopes: ['otp:send'], ttlSeconds: 60 })
    const lenient = createJwtVerifier({ secret, clockToleranceSec: 300, now: () => new Date(Date.now() + 120_000) })
    assert.deepEqual((await lenient.verify(token)).scopes, new Set(['otp:send']))
  })

  it('does not reveal that a forged token is expired', async () => {
    const expired = await signHs({ scope: 'admin', exp: 1 }, { signingKey: new TextEncoder().encode(otherSecret) })
    await assertInvalid(verifier, expired)
  })

  it('refuses a token without exp', async () => {
    await assertInvalid(verifier, await signHs({ scope: 'admin' }))
  })

  it('refuses a token not yet valid (nbf)', async () => {
    await assertInvalid(verifier, await signHs({ scope: 'admin', exp: inOneHour(), nbf: inOneHour() - 60 }))
  })

  it('refuses malformed tokens', async () => {
    for (const token of ['', 'abc', 'a.b.c', 'a.b', '...', `${base64url.encode('{')}.e30.`, 'eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.c2ln']) {
      await assertInvalid(verifier, token)
    }
  })

  it('refuses a token whose sessions claim is malformed', async () => {
    for (const sessions of ['shop-1', ['shop 1'], [1], null]) {
      await assertInvalid(verifier, await signHs({ scope: 'otp:send', exp: inOneHour(), sessions }))
    }
  })

  describe('with issuer and audience configured', () => {
    const strict = createJwtVerifier({ secret, issuer: 'https://issuer.example', audience: 'wa-gateway' })
    const mint = (issuer?: string, audience?: string) => {
      const input: Parameters<typeof mintToken>[0] = { secret, scopes: ['otp:send'], ttlSeconds: 60 }
      if (issuer !== undefined) input.issuer = issuer
      if (audience !== undefined) input.audience = audience
      return mintToken(input)
    }

    it('accepts a token with the expected issuer and audience', async () => {
      const principal = await strict.verify(await mint('https://issuer.example', 'wa-gateway'))
      assert.deepEqual(principal.scopes, new Set(['otp:send']))
    })

    it('refuses a wrong or missing audience', async () => {
      await assertInvalid(strict, await mint('https://issuer.example', 'another-api'))
      await assertInvalid(strict, await mint('https://issuer.example'))
    })

    it('refuses a wrong or missing issuer', async () => {
      await assertInvalid(strict, await mint('https://evil.example', 'wa-gateway'))
      await assertInvalid(strict, await mint(undefined, 'wa-gateway'))
    })
  })

  it('never puts the token or the secret in an error', async () => {
    const tokens = [
      await mintToken({ secret: otherSecret, scopes: ['admin'], ttlSeconds: 60 }),
      await signHs({ scope: 'admin' }),
      await signHs({ scope: 'admin', exp: inOneHour() }, { alg: 'HS512' }),
      await signHs({ scope: 'admin', exp: inOneHour(), sessions: ['bad id'] }),
      unsecuredToken({ scope: 'admin', exp: inOneHour() }),
      'not-a-jwt-but-a-secret-looking-string'
    ]
    const expired = createJwtVerifier({ secret, now: () => new Date(Date.now() + 7_200_000) })
    tokens.push(await mintToken({ secret, scopes: ['admin'], ttlSeconds: 60 }))
    for (const token of tokens) {
      for (const candidate of [verifier, expired]) {
        const error = await candidate.verify(token).then(
          () => undefined,
          (caught: unknown) => caught
        )
        if (error === undefined) continue
        assert.ok(error instanceof AppError)
        const shown = JSON.stringify([error.message, error.details, error.headers, String(error.cause)])
        assert.ok(!shown.includes(token), 'the token appears in the error')
        assert.ok(!shown.includes(secret), 'the secret appears in the error')
        for (const part of token.split('.').filter(p => p.length > 8)) {
          assert.ok(!shown.includes(part), 'a part of the token appears in the error')
        }
      }
    }
  })
})

describe('createJwtVerifier configuration', () => {
  it('requires exactly one of a secret or a JWKS URL', () => {
    assert.throws(() => createJwtVerifier({}), TypeError)
    assert.throws(() => createJwtVerifier({ secret, jwksUrl: 'https://id.example/jwks.json' }), TypeError)
  })

  it('refuses a secret shorter than 32 bytes', () => {
    assert.throws(() => createJwtVerifier({ secret: 'short' }), RangeError)
  })

  it('allows only HS256 with a secret', () => {
    assert.throws(() => createJwtVerifier({ secret, algorithms: ['HS512'] }), TypeError)
    assert.doesNotThrow(() => createJwtVerifier({ secret, algorithms: ['HS256'] }))
  })

  it('allows only asymmetric algorithms with a JWKS', () => {
    for (const algorithms of [['HS256'], ['none'], [], ['ES256', 'HS384']]) {
      assert.throws(() => createJwtVerifier({ jwksUrl: 'https://id.example/jwks.json', algorithms }), TypeError)
    }
  })

  it('fetches a JWKS over https except from loopback', () => {
    assert.throws(() => createJwtVerifier({ jwksUrl: 'http://id.example/jwks.json' }), TypeError)
    assert.throws(() => createJwtVerifier({ jwksUrl: 'not a url' }), TypeError)
    assert.doesNotThrow(() => createJwtVerifier({ jwksUrl: 'http://127.0.0.1:9/jwks.json' }))
  })
})

describe('createJwtVerifier with a JWKS URL', () => {
  let server: Server
  let baseUrl: string
  let trusted: GenerateKeyPairResult
  let stranger: GenerateKeyPairResult
  let jwksRequests = 0

  const signEs = (privateKey: CryptoKey, claims: JWTPayload, kid = 'key-1') => new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid }).sign(privateKey)

  before(async () => {
    trusted = await generateKeyPair('ES256')
    stranger = await generateKeyPair('ES256')
    const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(trusted.publicKey)), kid: 'key-1', alg: 'ES256', use: 'sig' }] })
    server = createServer((req, res) => {
      if (req.url === '/.well-known/jwks.json') {
        jwksRequests += 1
        res.writeHead(200, { 'content-type': 'application/json' }).end(jwks)
      } else {
        res.writeHead(500).end('down')
      }
    })
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })

  after(async () => {
    await new Promise<void>((resolve, reject) => server.close(error => (error ? reject(error) : resolve())))
  })

  it('accepts an ES256 token signed with a published key', async () => {
    const verifier = createJwtVerifier({ jwksUrl: `${baseUrl}/.well-known/jwks.json` })
    const principal = await verifier.verify(
      await signEs(trusted.privateKey, { scope: 'sessions:read', sessions: ['shop-1'], sub: 'idp-client', exp: inOneHour() })
    )
    assert.deepEqual(principal.scopes, new Set(['sessions:read']))
    assert.deepEqual(principal.sessions, ['shop-1'])
    assert.equal(principal.subject, 'idp-client')
    assert.ok(jwksRequests > 0)
  })

  it('refuses a token signed with another key under the same kid', async () => {
    const verifier = createJwtVerifier({ jwksUrl: `${baseUrl}/.well-known/jwks.json` })
    await assertInvalid(verifier, await signEs(stranger.privateKey, { scope: 'admin', exp: inOneHour() }))
    await assertInvalid(verifier, await signEs(stranger.privateKey, { scope: 'admin', exp: inOneHour() }, 'key-2'))
  })

  it('refuses an algorithm outside the allow-list', async () => {
    const verifier = createJwtVerifier({ jwksUrl: `${baseUrl}/.well-known/jwks.json`, algorithms: ['RS256'] })
    await assertInvalid(verifier, await signEs(trusted.privateKey, { scope: 'admin', exp: inOneHour() }))
  })

  it('refuses HS256 and alg "none" tokens', async () => {
    const verifier = createJwtVerifier({ jwksUrl: `${baseUrl}/.well-known/jwks.json` })
    await assertInvalid(verifier, await signHs({ scope: 'admin', exp: inOneHour() }))
    await assertInvalid(verifier, unsecuredToken({ scope: 'admin', exp: inOneHour() }))
  })

  it('refuses an expired token as TOKEN_EXPIRED and a token without exp as invalid', async () => {
    const verifier = createJwtVerifier({ jwksUrl: `${baseUrl}/.well-known/jwks.json` })
    const error = await rejection(verifier, await signEs(trusted.privateKey, { scope: 'admin', exp: 1 }))
    assert.equal(error.code, 'TOKEN_EXPIRED')
    await assertInvalid(verifier, await signEs(trusted.privateKey, { scope: 'admin' }))
  })

  it('uses the injected fetch for the JWKS', async () => {
    const urls: string[] = []
    const verifier = createJwtVerifier({
      jwksUrl: `${baseUrl}/.well-known/jwks.json`,
      fetchJwks: (url, options) => {
        urls.push(url)
        return fetch(url, options)
      }
    })
    await verifier.verify(await signEs(trusted.privateKey, { scope: 'admin', exp: inOneHour() }))
    assert.deepEqual(urls, [`${baseUrl}/.well-known/jwks.json`])
  })

  it('fails as a server error, not a 401, when the JWKS cannot be loaded', async () => {
    const verifier = createJwtVerifier({ jwksUrl: `${baseUrl}/broken` })
    const token = await signEs(trusted.privateKey, { scope: 'admin', exp: inOneHour() })
    await assert.rejects(verifier.verify(token), (error: unknown) => {
      assert.ok(error instanceof Error && !(error instanceof AppError))
      assert.ok(!error.message.includes(token))
      return true
    })
  })
})
