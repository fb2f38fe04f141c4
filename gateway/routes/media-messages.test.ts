import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { errorEnvelope, ok } from '../../shared/errors.ts'
import type { ErrorCode } from '../../shared/errors.ts'
import { gatewayOnFakeHost } from '../../test/support/gateway-on-fake-host.ts'
import { sentMessage } from '../../test/support/host-answers.ts'

const ALICE_LOCAL = '081234567800'
const ALICE_PN = '6281234567800'
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex')

/**
 * What the gateway does with media sends, on a fake host: it streams uploads to the host without
 * parsing them and hands URL sends over as JSON. Reading the upload, fetching the URL, checking the
 * content and the bytes reaching the recipient are the host's: test/e2e/media-flow.test.ts.
 */
describe('media messages through the gateway, by upload and by URL', () => {
  const { host, token, request } = gatewayOnFakeHost()
  // Answers as the host does once it read the upload (whose `to` it normalises itself).
  host.on('POST /internal/sessions/:id/messages/:kind/upload', ({ id = '', kind = '' }) =>
    ok('Message accepted', sentMessage(id, `${ALICE_PN}@s.whatsapp.net`, kind))
  )
  host.on('POST /internal/sessions/:id/messages/:kind', ({ id = '', kind = '' }, body) =>
    ok('Message accepted', sentMessage(id, (body as { jid: string }).jid, kind))
  )

  const post = async (path: string, init: { body: RequestInit['body']; type?: string; headers?: Record<string, string> }) => {
    const headers: Record<string, string> = {
      authorization: `Bearer ${await token('messages:send')}`,
      ...(init.type ? { 'content-type': init.type } : {}),
      ...init.headers
    }
    const response = await request(path, { method: 'POST', headers, body: init.body })
    return {
      status: response.status,
      body: (await response.json()) as { data: { messageId: string; to: string }; error: { code: string; details?: Record<string, unknown> } }
    }
  }
  /** A multipart body as a client would send it, with its boundary in the type. */
  const multipart = async (fields: Record<string, string>, file: { field: string; name: string; type: string }) => {
    const form = new FormData()
    for (const [name, value] of Object.entries(fields)) form.append(name, value)
    form.append(file.field, new Blob([PNG], { type: file.type }), file.name)
    const encoded = new Request('http://client/', { method: 'POST', body: form })
    return { bytes: new Uint8Array(await encoded.arrayBuffer()), type: encoded.headers.get('content-type') ?? '' }
  }

  it("streams an upload to the host byte for byte, with the gateway's default country and the Idempotency-Key", async () => {
    const { bytes, type } = await multipart({ to: ALICE_LOCAL, caption: 'a image' }, { field: 'image', name: 'qr.png', type: 'image/png' })
    const response = await post('/api/messages/shop-m/image', {
      body: bytes,
      type,
      headers: { 'content-length': String(bytes.byteLength), 'idempotency-key': 'upload-1' }
    })
    assert.equal(response.status, 200, JSON.stringify(response.body))
    assert.equal(response.body.data.to, `+${ALICE_PN}`)
    const [handed] = host.callsTo('POST', '/internal/sessions/shop-m/messages/image/upload')
    assert.deepEqual(handed?.query, { country: 'ID', idempotencyKey: 'upload-1' })
    assert.equal(handed?.contentType, type)
    assert.deepEqual(handed?.bytes, bytes)
  })

  it('refuses an upload that declares more than 50 MB with 413, and a malformed Idempotency-Key with 400, before the host sees a byte', async () => {
    const { bytes, type } = await multipart({ to: ALICE_LOCAL }, { field: 'document', name: 'big.pdf', type: 'application/pdf' })
    const before = host.calls.length
    const tooLarge = await post('/api/messages/shop-m/document', { body: bytes, type, headers: { 'content-length': String(50 * 1024 * 1024 + 64 * 1024 + 1) } })
    assert.equal(tooLarge.status, 413)
    assert.equal(tooLarge.body.error.code, 'PAYLOAD_TOO_LARGE')
    const badKey = await post('/api/messages/shop-m/document', { body: bytes, type, headers: { 'idempotency-key': 'has space' } })
    assert.equal(badKey.status, 400)
    assert.equal(badKey.body.error.code, 'VALIDATION_ERROR')
    assert.equal(host.calls.length, before)
  })

  it('hands a URL send to the host as JSON, with the recipient as a JID and the fields as given', async () => {
    const url = 'https://files.example.com/note.ogg'
    const response = await post('/api/messages/shop-m/audio', {
      body: JSON.stringify({ to: ALICE_LOCAL, url, ptt: true, mimetype: 'audio/ogg' }),
      type: 'application/json'
    })
    assert.equal(response.status, 200, JSON.stringify(response.body))
    assert.equal(response.body.data.to, `+${ALICE_PN}`)
    assert.deepEqual(host.callsTo('POST', '/internal/sessions/shop-m/messages/audio').at(-1)?.body, {
      url,
      ptt: true,
      mimetype: 'audio/ogg',
      jid: `${ALICE_PN}@s.whatsapp.net`
    })
  })

  it('refuses a URL send without a url, to a malformed number or as malformed JSON with a 4xx and its code, asking the host nothing', async () => {
    const before = host.calls.length
    const cases: [string, number, string][] = [
      [JSON.stringify({ to: ALICE_LOCAL }), 400, 'VALIDATION_ERROR'],
      [JSON.stringify({ to: 'not a number', url: 'https://files.example.com/a.png' }), 422, 'INVALID_PHONE_NUMBER'],
      ['{"to": "0812', 400, 'INVALID_JSON']
    ]
    for (const [body, status, code] of cases) {
      const response = await post('/api/messages/shop-m/image', { body, type: 'application/json' })
      assert.equal(response.status, status, body)
      assert.equal(response.body.error.code, code, body)
    }
    assert.equal(host.calls.length, before)
  })

  it('answers a body that is neither multipart nor JSON with 415', async () => {
    const plain = await post('/api/messages/shop-m/image', { body: 'x', type: 'text/plain' })
    assert.equal(plain.status, 415)
  })

  it("passes the host's refusals of a file or a URL through with their status, code and details", async () => {
    const refusing = gatewayOnFakeHost()
    const refusals: [ErrorCode, number, Record<string, unknown> | undefined][] = [
      ['UNSUPPORTED_MEDIA_TYPE', 415, { accepted: ['image/jpeg', 'image/png', 'image/webp'] }],
      ['URL_NOT_ALLOWED', 422, undefined],
      ['URL_FETCH_FAILED', 422, { status: 404 }],
      ['NOT_ON_WHATSAPP', 422, { to: '6281234567899' }]
    ]
    for (const [code, status, details] of refusals) {
      refusing.host.on('POST /internal/sessions/:id/messages/:kind', () => errorEnvelope(code, `Refused: ${code}`, details))
      const response = await refusing.call('POST', '/api/messages/shop-m/image', {
        token: await refusing.token('messages:send'),
        body: { to: ALICE_LOCAL, url: 'https://files.example.com/a.png' }
      })
      assert.equal(response.status, status, code)
      assert.equal(response.body.error.code, code)
      assert.deepEqual(response.body.error.details, details)
    }
  })
})
