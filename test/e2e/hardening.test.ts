import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { request as httpRequest } from 'node:http'
import { connect } from 'node:net'
import { Pool } from 'undici'
import { signRequest } from '../../shared/internal-signing.ts'
import { WEBHOOK_DELIVERY_PATH } from '../../shared/host-api/webhook-delivery.ts'
import { mediaSamples } from '../support/media-fixtures.ts'
import { startProcessStack } from '../support/process-stack.ts'
import type { ProcessStack } from '../support/process-stack.ts'
import type { Envelope } from '../support/api-envelope.ts'

const ACCOUNT = '6281700000001'
const CUSTOMER = '6281799990001'

/**
 * Streams a chunked body of up to `totalBytes`, a 64 KB chunk per millisecond, and stops writing
 * once the server answers: how much had been written by then shows whether the server waited for
 * the body (a server that answers early may still drain what follows, so pace the writes).
 */
const streamChunked = (url: URL, headers: Record<string, string>, totalBytes: number) =>
  new Promise<{ status: number; body: Envelope; writtenWhenAnswered: number }>((resolve, reject) => {
    const chunk = Buffer.alloc(64 * 1024, 'x')
    let written = 0
    let answered = false
    const outgoing = httpRequest(url, { method: 'POST', headers: { ...headers, 'transfer-encoding': 'chunked' } }, incoming => {
      answered = true
      const writtenWhenAnswered = written
      const chunks: Buffer[] = []
      incoming.on('data', (data: Buffer) => chunks.push(data))
      incoming.on('end', () => {
        outgoing.destroy()
        resolve({ status: incoming.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Envelope, writtenWhenAnswered })
      })
    })
    outgoing.on('error', error => (answered ? undefined : reject(error)))
    const pump = () => {
      if (answered) return
      if (written >= totalBytes) return void outgoing.end()
      written += chunk.length
      if (outgoing.write(chunk)) setTimeout(pump, 1)
      else outgoing.once('drain', () => setTimeout(pump, 1))
    }
    pump()
  })

/** Sends raw bytes on a TCP connection and reads the whole answer. */
const rawRequest = (port: number, bytes: string) =>
  new Promise<{ statusLine: string; body: string }>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    socket.on('data', data => chunks.push(data))
    socket.on('error', reject)
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8')
      const [head = '', body = ''] = text.split('\r\n\r\n')
      resolve({ statusLine: head.split('\r\n')[0] ?? '', body })
    })
    socket.setTimeout(5_000, () => socket.destroy())
    socket.end(bytes)
  })

describe('hardening against malformed and hostile requests (gateway and host processes)', () => {
  let stack: ProcessStack
  before(async () => {
    stack = await startProcessStack()
    await stack.linkSession('shop-h', ACCOUNT)
  })
  after(() => stack?.stop())

  const hostAlive = () => {
    const pid = stack.processes.pid('host')
    assert.ok(pid)
    process.kill(pid, 0)
  }

  it('answers 400 to a multipart upload cut short after a second file part, and the host keeps running', async () => {
    const boundary = 'cutShort7'
    const part = (name: string, filename: string, bytes: Buffer) =>
      Buffer.concat([
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${filename}"\r\nContent-Type: image/png\r\n\r\n`),
        bytes
      ])
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="to"\r\n\r\n${CUSTOMER}\r\n`),
      part('image', 'a.png', (await mediaSamples()).image.bytes),
      Buffer.from('\r\n'),
      part('extra', 'b.png', Buffer.alloc(4096, 7))
    ])
    const response = await fetch(`${stack.url}/api/messages/shop-h/image`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.admin}`, 'content-type': `multipart/form-data; boundary=${boundary}` },
      body
    })
    const envelope = (await response.json()) as Envelope
    assert.equal(response.status, 400)
    assert.equal(envelope.error?.code, 'VALIDATION_ERROR')
    hostAlive()
    const health = (await (await fetch(`${stack.url}/api/health`)).json()) as { data: { host: string } }
    assert.equal(health.data.host, 'ok')
    const text = await stack.call('POST', '/api/messages/shop-h/text', { body: { to: CUSTOMER, text: 'still here' } })
    assert.equal(text.status, 200, JSON.stringify(text.body))
  })

  it('refuses an upload with a bad Idempotency-Key before taking its body, so the same connection serves the next request', async () => {
    // One connection for both requests, as a keep-alive client uses it.
    const pool = new Pool(stack.url, { connections: 1 })
    try {
      const form = new FormData()
      form.append('to', CUSTOMER)
      form.append('document', new Blob([Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(2 * 1024 * 1024, 1)])], { type: 'application/pdf' }), 'a.pdf')
      const encoded = new Response(form)
      const refused = await pool.request({
        path: '/api/messages/shop-h/document',
        method: 'POST',
        headers: { authorization: `Bearer ${stack.admin}`, 'idempotency-key': 'has spaces', 'content-type': encoded.headers.get('content-type')! },
        body: Buffer.from(await encoded.arrayBuffer())
      })
      assert.equal(refused.statusCode, 400)
      assert.equal(((await refused.body.json()) as Envelope).error?.code, 'VALIDATION_ERROR')
      const next = await pool.request({ path: '/api/health', method: 'GET' })
      assert.equal(next.statusCode, 200)
      await next.body.text()
    } finally {
      await pool.close()
    }
  })

  it('answers 415 UNSUPPORTED_MEDIA_TYPE naming the types it takes (JSON, or a form) when a JSON route gets another content type', async () => {
    const routes = [
      ['/api/sessions/create', '{"sessionId":"typed"}'],
      ['/api/messages/shop-h/text', `{"to":"${CUSTOMER}","text":"hi"}`],
      ['/api/otp/verify', '{"otpId":"otp_x","code":"123456"}']
    ] as const
    const contentTypes: (string | string[] | undefined)[] = [
      'text/plain',
      'application/xml',
      '',
      undefined,
      'text/json',
      ['application/json', 'application/json']
    ]
    for (const [path, json] of routes) {
      for (const contentType of contentTypes) {
        const headers = new Headers({ authorization: `Bearer ${stack.admin}` })
        for (const value of [contentType].flat()) if (value !== undefined) headers.append('content-type', value)
        // Bytes, not a string: fetch would add text/plain to a string body without a type.
        const response = await fetch(`${stack.url}${path}`, { method: 'POST', headers, body: new TextEncoder().encode(json) })
        const envelope = (await response.json()) as Envelope
        const what = `${path} with ${JSON.stringify(contentType)}`
        assert.equal(response.status, 415, what)
        assert.equal(envelope.error?.code, 'UNSUPPORTED_MEDIA_TYPE', what)
        assert.deepEqual(envelope.error?.details, { accepted: ['application/json', 'application/x-www-form-urlencoded'] }, what)
      }
    }
  })

  it('refuses an unsigned or oversized chunked body on the internal routes before reading it', async () => {
    const sixteenMegabytes = 16 * 1024 * 1024
    const gatewayRoute = new URL(WEBHOOK_DELIVERY_PATH, stack.url)
    const unsigned = await streamChunked(gatewayRoute, { 'content-type': 'application/json' }, sixteenMegabytes)
    assert.equal(unsigned.status, 401)
    assert.equal(unsigned.body.error?.code, 'INTERNAL_AUTH_FAILED')
    assert.ok(unsigned.writtenWhenAnswered < 2 * 1024 * 1024, `answered after ${unsigned.writtenWhenAnswered} bytes`)

    // Signed for a small body, then sent a huge one: read up to the cap, no further.
    const signed = await signRequest({ secret: stack.processes.env.INTERNAL_SECRET!, method: 'POST', pathWithQuery: WEBHOOK_DELIVERY_PATH, body: '{}' })
    const oversized = await streamChunked(gatewayRoute, { ...signed, 'content-type': 'application/json' }, sixteenMegabytes)
    assert.equal(oversized.status, 413)
    assert.equal(oversized.body.error?.code, 'PAYLOAD_TOO_LARGE')
    assert.ok(oversized.writtenWhenAnswered < 4 * 1024 * 1024, `answered after ${oversized.writtenWhenAnswered} bytes`)

    const hostRoute = new URL('/internal/sessions', stack.processes.env.HOST_URL)
    const toHost = await streamChunked(hostRoute, { 'content-type': 'application/json' }, sixteenMegabytes)
    assert.equal(toHost.status, 401)
    assert.ok(toHost.writtenWhenAnswered < 2 * 1024 * 1024, `answered after ${toHost.writtenWhenAnswered} bytes`)
    hostAlive()
  })

  it("tells a token limited to another session nothing about this session's OTP, not even its session id", async () => {
    const sent = await stack.call('POST', '/api/messages/shop-h/otp', { body: { to: CUSTOMER } })
    assert.equal(sent.status, 201)
    const { otpId } = sent.body.data as { otpId: string }
    const outsider = await stack.token('otp:send otp:verify', { sessions: ['shop-elsewhere'] })
    const attempts = [
      await fetch(`${stack.url}/api/otp/${otpId}`, { headers: { authorization: `Bearer ${outsider}` } }),
      await fetch(`${stack.url}/api/otp/${otpId}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${outsider}` } }),
      await fetch(`${stack.url}/api/otp/verify`, {
        method: 'POST',
        headers: { authorization: `Bearer ${outsider}`, 'content-type': 'application/json' },
        body: JSON.stringify({ otpId, code: '000000' })
      })
    ]
    for (const response of attempts) {
      const text = await response.text()
      assert.equal(response.status, 403, text)
      assert.equal((JSON.parse(text) as Envelope).error?.code, 'SESSION_FORBIDDEN')
      assert.ok(!text.includes('shop-h'), text)
    }
  })

  it('answers requests that Node refuses to parse with the envelope, on the gateway and on the host', async () => {
    const ports = { gateway: Number(new URL(stack.url).port), host: Number(stack.processes.env.HOST_PORT) }
    const requests = {
      'a NUL in the path': 'GET /api/he\u0000alth HTTP/1.1\r\nHost: localhost\r\n\r\n',
      'a duplicate Content-Length': 'POST /api/health HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab',
      'oversized headers': `GET /api/health HTTP/1.1\r\nHost: localhost\r\nX-Padding: ${'a'.repeat(20_000)}\r\n\r\n`,
      'an unknown HTTP version': 'GET /api/health HTTP/9.9\r\nHost: localhost\r\n\r\n'
    }
    for (const [server, port] of Object.entries(ports)) {
      for (const [what, bytes] of Object.entries(requests)) {
        const answer = await rawRequest(port, bytes)
        const expected = what === 'oversized headers' ? ['431', 'HEADERS_TOO_LARGE'] : ['400', 'MALFORMED_REQUEST']
        assert.match(answer.statusLine, new RegExp(`^HTTP/1\\.1 ${expected[0]} `), `${server}, ${what}: ${answer.statusLine}`)
        const envelope = JSON.parse(answer.body) as Envelope
        assert.equal(envelope.success, false, `${server}, ${what}`)
        assert.equal(envelope.error?.code, expected[1], `${server}, ${what}`)
      }
    }
    hostAlive()
  })
})
