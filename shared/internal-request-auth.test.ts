import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import { Hono } from 'hono'
import { toErrorResponse } from './error-response.ts'
import { internalRequestAuth } from './internal-request-auth.ts'
import type { InternalRequestAuthOptions } from './internal-request-auth.ts'
import { signRequest, signStreamRequest } from './internal-signing.ts'
import { signingCryptoFrom } from './signing-crypto-from.ts'

const SECRET = 'internal-secret-for-tests-0123456789'
const PATH = '/internal/things'

const appWith = (options: Partial<InternalRequestAuthOptions> = {}) => {
  const app = new Hono()
  app.post(PATH, internalRequestAuth({ secret: SECRET, maxBodyBytes: 64, ...options }), async c => c.json({ received: await c.req.json() }))
  app.onError((error, c) => {
    const response = toErrorResponse(error)
    return c.json(response.body, response.status as 401)
  })
  return app
}

const send = async (app: Hono, headers: Record<string, string>, body: string) => {
  const response = await app.request(PATH, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body })
  return { status: response.status, body: (await response.json()) as { received?: unknown; error?: { code: string; details?: { reason?: string } } } }
}

describe('signed internal requests, on either process', () => {
  it('hands a signed body to the route, on Web Crypto or node:crypto', async () => {
    for (const primitives of [undefined, signingCryptoFrom({ createHash, createHmac, timingSafeEqual })]) {
      const app = appWith(primitives ? { primitives } : {})
      const body = '{"a":1}'
      const headers = await signRequest({ secret: SECRET, method: 'POST', pathWithQuery: PATH, body })
      assert.deepEqual(await send(app, headers, body), { status: 200, body: { received: { a: 1 } } })
    }
  })

  it('refuses a missing or wrong signature, a changed body and a replay, saying why', async () => {
    const app = appWith()
    const body = '{"a":1}'
    const headers = await signRequest({ secret: SECRET, method: 'POST', pathWithQuery: PATH, body })
    const foreign = await signRequest({ secret: 'another-secret-0123456789abcdefghij', method: 'POST', pathWithQuery: PATH, body })
    const reasons = [
      [await send(app, {}, body), 'missing'],
      [await send(app, foreign, body), 'bad_signature'],
      [await send(app, headers, '{"a":2}'), 'bad_digest']
    ] as const
    for (const [answer, reason] of reasons)
      assert.deepEqual(
        { status: answer.status, code: answer.body.error?.code, reason: answer.body.error?.details?.reason },
        { status: 401, code: 'INTERNAL_AUTH_FAILED', reason }
      )
    const fresh = await signRequest({ secret: SECRET, method: 'POST', pathWithQuery: PATH, body })
    assert.equal((await send(app, fresh, body)).status, 200)
    assert.equal((await send(app, fresh, body)).body.error?.details?.reason, 'replayed')
  })

  it('checks the timestamp against the clock it is given', async () => {
    const body = '{}'
    const headers = await signRequest({ secret: SECRET, method: 'POST', pathWithQuery: PATH, body, timestamp: Date.now() - 60_000 })
    assert.equal((await send(appWith(), headers, body)).body.error?.details?.reason, 'stale')
    assert.equal((await send(appWith({ clock: () => Date.now() - 60_000 }), headers, body)).status, 200)
  })

  it('refuses a signed body over the cap with 413', async () => {
    const body = JSON.stringify({ padding: 'x'.repeat(100) })
    const headers = await signRequest({ secret: SECRET, method: 'POST', pathWithQuery: PATH, body })
    const answer = await send(appWith(), headers, body)
    assert.equal(answer.status, 413)
    assert.equal(answer.body.error?.code, 'PAYLOAD_TOO_LARGE')
  })

  it('takes a streamed signature on none but the stream paths', async () => {
    const headers = await signStreamRequest({
      secret: SECRET,
      method: 'POST',
      pathWithQuery: PATH,
      contentType: 'multipart/form-data; boundary=b',
      contentLength: 2
    })
    const response = await appWith().request(PATH, { method: 'POST', headers: { ...headers, 'content-type': 'multipart/form-data; boundary=b' }, body: '{}' })
    const answer = (await response.json()) as { error: { code: string; details: { reason: string } } }
    assert.deepEqual(
      { status: response.status, code: answer.error.code, reason: answer.error.details.reason },
      { status: 401, code: 'INTERNAL_AUTH_FAILED', reason: 'missing' }
    )
  })
})
