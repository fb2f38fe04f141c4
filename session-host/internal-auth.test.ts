import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { Hono } from 'hono'
import { toErrorResponse } from '../shared/error-response.ts'
import { signRequest, signStreamRequest } from '../shared/internal-signing.ts'
import { internalAuth } from './internal-auth.ts'
import { UPLOAD_PATH } from './routes/media-messages.ts'

const SECRET = 'internal-secret-for-tests-0123456789'
const UPLOAD = '/internal/sessions/shop-1/messages/image/upload'
const TYPE = 'multipart/form-data; boundary=b'

const app = new Hono()
app.use('/internal/*', internalAuth(SECRET, 30_000, UPLOAD_PATH))
app.post('/internal/*', c => c.json({ ok: true }))
app.onError((error, c) => {
  const response = toErrorResponse(error)
  return c.json(response.body, response.status as 401)
})

describe('the host accepts unsigned streams only on upload routes', () => {
  it('takes a stream signature on an upload route', async () => {
    const headers = await signStreamRequest({ secret: SECRET, method: 'POST', pathWithQuery: UPLOAD, contentType: TYPE, contentLength: 3 })
    assert.equal((await app.request(UPLOAD, { method: 'POST', headers: { ...headers, 'content-type': TYPE }, body: 'abc' })).status, 200)
  })

  it('refuses a stream signature anywhere else, and a digest signature on an upload route', async () => {
    const text = '/internal/sessions/shop-1/messages/text'
    const stream = await signStreamRequest({ secret: SECRET, method: 'POST', pathWithQuery: text, contentType: TYPE, contentLength: 3 })
    assert.equal((await app.request(text, { method: 'POST', headers: { ...stream, 'content-type': TYPE }, body: 'abc' })).status, 401)
    const digest = await signRequest({ secret: SECRET, method: 'POST', pathWithQuery: UPLOAD, body: 'abc' })
    assert.equal((await app.request(UPLOAD, { method: 'POST', headers: { ...digest, 'content-type': TYPE }, body: 'abc' })).status, 401)
  })

  it('refuses a stream signature for a body that is not multipart', async () => {
    const headers = await signStreamRequest({ secret: SECRET, method: 'POST', pathWithQuery: UPLOAD, contentType: 'application/json', contentLength: 2 })
    assert.equal((await app.request(UPLOAD, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: '{}' })).status, 401)
  })
})
