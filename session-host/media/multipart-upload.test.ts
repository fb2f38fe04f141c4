import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { AppError } from '../../shared/errors.ts'
import { receiveUpload } from './multipart-upload.ts'

const BOUNDARY = 'fuzzBoundary42'
const CONTENT_TYPE = `multipart/form-data; boundary=${BOUNDARY}`
const field = (name: string, value: string) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`
const filePart = (name: string, bytes: string) =>
  `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"; filename="${name}.jpg"\r\nContent-Type: image/jpeg\r\n\r\n${bytes}`
const end = `--${BOUNDARY}--\r\n`

describe('receiving a multipart upload', () => {
  const dir = mkdtempSync(join(tmpdir(), 'multipart-'))
  after(() => rmSync(dir, { recursive: true, force: true }))
  let n = 0
  const receive = (body: string | Buffer[], contentType = CONTENT_TYPE) =>
    receiveUpload({
      body: Readable.from(typeof body === 'string' ? [Buffer.from(body)] : body),
      contentType,
      fileField: 'image',
      filePath: join(dir, `upload-${n++}`),
      maxBytes: 1024,
      expectedLength: undefined
    })
  const refusedAsMalformed = (error: unknown) => error instanceof AppError && error.code === 'VALIDATION_ERROR' && error.status === 400

  it('keeps the fields and the one file under the expected name', async () => {
    const received = await receive(`${field('to', '0812')}${filePart('image', 'JPEGDATA')}\r\n${end}`)
    assert.deepEqual(received.fields, { to: '0812' })
    assert.equal(received.file?.bytes, 8)
  })

  // Each of these once left a stream error unheard: the uncaught exception ended the session host.
  const cutShort = {
    'a second file part with no closing boundary': `${field('to', '0812')}${filePart('image', 'AAAA')}\r\n${filePart('other', 'BBBBBBBB')}`,
    'a repeated file part with no closing boundary': `${filePart('image', 'AAAA')}\r\n${filePart('image', 'CCCC')}`,
    'the expected file part with no closing boundary': `${field('to', '0812')}${filePart('image', 'AAAA')}`,
    'a field with no closing boundary': `--${BOUNDARY}\r\nContent-Disposition: form-data; name="to"\r\n\r\n0812`,
    'a part whose headers never end': `--${BOUNDARY}\r\nContent-Disposition: form-data; name="image"; filename="a.jpg"\r\n`
  }
  for (const [shape, body] of Object.entries(cutShort)) {
    it(`answers 400 for ${shape}`, async () => {
      await assert.rejects(receive(body), refusedAsMalformed)
    })
  }

  it('answers 400 for a body cut short across several chunks, and for a type without a boundary', async () => {
    const body = `${filePart('image', 'A'.repeat(600))}\r\n${filePart('other', 'B'.repeat(600))}`
    await assert.rejects(receive([Buffer.from(body.slice(0, 500)), Buffer.from(body.slice(500))]), refusedAsMalformed)
    await assert.rejects(receive(`${field('to', '0812')}${end}`, 'multipart/form-data'), refusedAsMalformed)
  })
})
