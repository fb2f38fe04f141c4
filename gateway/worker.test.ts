import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import worker from './worker.ts'
import { PHONE_METADATA_ASSET_PATH } from './worker-phone-numbers.ts'

const SECRETS = {
  INTERNAL_SECRET: 'internal-secret-for-worker-0123456789',
  JWT_SECRET: 'jwt-secret-for-worker-0123456789abcdef',
  OTP_PEPPER: 'pepper-for-worker-0123456789abcdefgh'
}
const ctx = { waitUntil: () => {}, passThroughOnException: () => {}, props: {} }
/** Static assets as `[assets]` serves them: here only the phone metadata scripts/worker-assets.ts copies. */
const ASSETS = {
  fetch: async (request: Request) =>
    new URL(request.url).pathname === PHONE_METADATA_ASSET_PATH
      ? new Response(readFileSync(createRequire(import.meta.url).resolve('libphonenumber-js/metadata.max.json')))
      : new Response('not found', { status: 404 })
}

describe('the Workers entry', () => {
  it('answers 500 without naming any value while the bindings are invalid', async () => {
    const logged: unknown[] = []
    const original = console.error
    console.error = (...args: unknown[]) => void logged.push(...args)
    try {
      const response = await worker.fetch(new Request('http://gateway.test/api/health'), { ...SECRETS, HOST_URL: 'not a url', INTERNAL_SECRET: 'short' }, ctx)
      assert.equal(response.status, 500)
      const body = (await response.json()) as { success: boolean; error: { code: string } }
      assert.equal(body.error.code, 'INTERNAL_ERROR')
      assert.match(String(logged[0]), /HOST_URL/)
      assert.match(String(logged[0]), /INTERNAL_SECRET/)
      assert.ok(!String(logged[0]).includes('short') && !String(logged[0]).includes(SECRETS.JWT_SECRET))
    } finally {
      console.error = original
    }
  })

  // Before the app is built: the entry keeps the first app it builds.
  it('answers 500 naming the missing static assets, which hold the phone metadata', async () => {
    const logged: unknown[] = []
    const original = console.error
    console.error = (...args: unknown[]) => void logged.push(...args)
    try {
      const response = await worker.fetch(new Request('http://gateway.test/api/health'), { ...SECRETS, HOST_URL: 'http://127.0.0.1:9' }, ctx)
      assert.equal(response.status, 500)
      assert.match(String(logged[0]), /ASSETS/)
    } finally {
      console.error = original
    }
  })

  it('builds the app from text bindings once they are valid, ignoring other bindings', async () => {
    const env = { ...SECRETS, HOST_URL: 'http://127.0.0.1:9', WA_MODE: 'sandbox', KV: { get: () => null }, ASSETS }
    const response = await worker.fetch(new Request('http://gateway.test/api/health'), env, ctx)
    // The gateway answers; the host behind it does not, which health reports as a 503.
    assert.equal(response.status, 503)
    const body = (await response.json()) as { status: string; data: { gateway: string; host: string; mode: string } }
    assert.deepEqual(
      { status: body.status, gateway: body.data.gateway, host: body.data.host, mode: body.data.mode },
      { status: 'ERROR', gateway: 'ok', host: 'unreachable', mode: 'sandbox' }
    )

    const unauthenticated = await worker.fetch(new Request('http://gateway.test/api/sessions'), env, ctx)
    assert.equal(unauthenticated.status, 401)
  })
})
