import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createNodeHostFetch } from './host-fetch.ts'

describe('the Node fetch for the host client', () => {
  const hostFetch = createNodeHostFetch()
  const seen: { method: string; url: string; headers: Record<string, unknown>; body: string }[] = []
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', chunk => (body += chunk))
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body })
      if (req.url === '/empty') return void res.writeHead(204).end()
      res.setHeader('retry-after', '7')
      res.setHeader('set-cookie', ['a=1', 'b=2'])
      res.writeHead(req.url?.startsWith('/limited') ? 429 : 200, { 'content-type': 'application/json' }).end(JSON.stringify({ echo: body }))
    })
  })
  let base = ''
  before(async () => {
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  after(async () => {
    await hostFetch.close()
    server.close()
  })

  it('sends method, headers and body, and answers status, headers and body', async () => {
    const response = await hostFetch(new URL('/limited?x=1', base), {
      method: 'POST',
      headers: { 'x-internal-nonce': 'abc', 'content-type': 'application/json' },
      body: '{"a":1}'
    })
    assert.equal(response.status, 429)
    assert.equal(response.headers.get('retry-after'), '7')
    assert.deepEqual(response.headers.getSetCookie(), ['a=1', 'b=2'])
    assert.deepEqual(await response.json(), { echo: '{"a":1}' })
    const request = seen.at(-1)!
    assert.equal(request.method, 'POST')
    assert.equal(request.url, '/limited?x=1')
    assert.equal(request.headers['x-internal-nonce'], 'abc')
  })

  it('sends a bodiless GET and takes a 204 without a body', async () => {
    const response = await hostFetch(`${base}/empty`)
    assert.equal(response.status, 204)
    assert.equal(await response.text(), '')
    assert.equal(seen.at(-1)!.method, 'GET')
  })

  it('passes a stream body to the global fetch unchanged', async () => {
    const body = new ReadableStream({
      start: c => {
        c.enqueue(new TextEncoder().encode('streamed'))
        c.close()
      }
    })
    const response = await hostFetch(`${base}/stream`, { method: 'PUT', body, duplex: 'half' } as RequestInit)
    assert.deepEqual(await response.json(), { echo: 'streamed' })
  })

  it('rejects when the host is not reachable', async () => {
    const closed = createServer()
    await new Promise<void>(resolve => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as AddressInfo).port
    await new Promise<void>(resolve => closed.close(() => resolve()))
    await assert.rejects(hostFetch(`http://127.0.0.1:${port}/x`, { method: 'POST', headers: {}, body: '{}' }))
  })
})
