import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AppError } from '../../shared/errors.ts'
import { fetchToFile } from './safe-fetch.ts'
import { parseAllowedHosts } from '../../shared/allowed-hosts.ts'

describe('fetching a media URL', () => {
  const dir = mkdtempSync(join(tmpdir(), 'safe-fetch-'))
  const server = createServer((req, res) => {
    if (req.url === '/silent') return // never answers
    if (req.url === '/big') return res.writeHead(200, { 'content-length': '2048' }).end(Buffer.alloc(2048))
    if (req.url === '/chunked') {
      res.writeHead(200)
      res.write(Buffer.alloc(1024))
      return res.end(Buffer.alloc(1024))
    }
    res.writeHead(200, { 'content-type': 'text/plain', 'content-disposition': 'attachment; filename="note.txt"' }).end('hello')
  })
  let base: string
  let policy: Parameters<typeof fetchToFile>[2]['policy']
  before(async () => {
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as AddressInfo
    base = `http://127.0.0.1:${port}`
    policy = { allowHosts: parseAllowedHosts(`127.0.0.1:${port}`), timeoutMs: 1_000, maxRedirects: 5 }
  })
  after(() => {
    server.closeAllConnections()
    server.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const codeOf = (promise: Promise<unknown>) =>
    promise.then(
      () => 'ok',
      (error: unknown) => (error instanceof AppError ? error.code : String(error))
    )

  it('saves the body with its type and file name', async () => {
    const fetched = await fetchToFile(`${base}/file`, join(dir, 'a'), { maxBytes: 100, policy })
    assert.deepEqual(fetched, { bytes: 5, contentType: 'text/plain', fileName: 'note.txt' })
  })

  it('refuses bodies over the cap, by declared length or by counting', async () => {
    assert.equal(await codeOf(fetchToFile(`${base}/big`, join(dir, 'b'), { maxBytes: 1024, policy })), 'PAYLOAD_TOO_LARGE')
    assert.equal(await codeOf(fetchToFile(`${base}/chunked`, join(dir, 'c'), { maxBytes: 1500, policy })), 'PAYLOAD_TOO_LARGE')
  })

  it('gives up on a server that does not answer in time', async () => {
    assert.equal(await codeOf(fetchToFile(`${base}/silent`, join(dir, 'd'), { maxBytes: 100, policy })), 'URL_FETCH_FAILED')
  })

  it('refuses the same loopback server when it is not on the allow-list, naming the setting that would allow it', async () => {
    assert.equal(await codeOf(fetchToFile(`${base}/file`, join(dir, 'e'), { maxBytes: 100 })), 'URL_NOT_ALLOWED')
    await assert.rejects(fetchToFile(`${base}/file`, join(dir, 'e'), { maxBytes: 100 }), /MEDIA_URL_ALLOW_HOSTS/)
    // A bare host lets every port through, as in WEBHOOK_ALLOWED_HOSTS.
    assert.deepEqual(
      await fetchToFile(`${base}/file`, join(dir, 'f'), {
        maxBytes: 100,
        policy: { allowHosts: parseAllowedHosts('127.0.0.1'), timeoutMs: 1_000, maxRedirects: 5 }
      }),
      { bytes: 5, contentType: 'text/plain', fileName: 'note.txt' }
    )
  })
})
