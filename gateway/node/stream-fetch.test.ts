import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { nodeStreamFetch } from './stream-fetch.ts'

const streamOf = (...parts: string[]) =>
  new ReadableStream<Uint8Array>({
    start: controller => {
      for (const part of parts) controller.enqueue(new TextEncoder().encode(part))
      controller.close()
    }
  })

describe('the Node fetch for streamed uploads', () => {
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', chunk => (body += chunk))
    req.on('end', () =>
      res
        .writeHead(201, { 'content-type': 'application/json', 'x-seen-type': req.headers['content-type'] ?? '' })
        .end(JSON.stringify({ method: req.method, url: req.url, body }))
    )
  })
  let base = ''
  before(async () => {
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  after(() => server.close())

  it('sends the stream with its method and headers, and answers status, headers and body', async () => {
    const response = await nodeStreamFetch(new URL('/upload?x=1', base), {
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data; boundary=b' },
      body: streamOf('first ', 'second'),
      duplex: 'half'
    } as RequestInit)
    assert.equal(response.status, 201)
    assert.equal(response.headers.get('x-seen-type'), 'multipart/form-data; boundary=b')
    assert.deepEqual(await response.json(), { method: 'POST', url: '/upload?x=1', body: 'first second' })
  })

  it('rejects when the host is not reachable', async () => {
    const closed = createServer()
    await new Promise<void>(resolve => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as AddressInfo).port
    await new Promise<void>(resolve => closed.close(() => resolve()))
    await assert.rejects(
      nodeStreamFetch(new URL(`http://127.0.0.1:${port}/upload`), { method: 'POST', headers: {}, body: streamOf('x'), duplex: 'half' } as RequestInit)
    )
  })
})
