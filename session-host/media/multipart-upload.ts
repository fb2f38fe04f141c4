import { createWriteStream } from 'node:fs'
import { Transform } from 'node:stream'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import busboy from 'busboy'
import { AppError, appError } from '../../shared/errors.ts'
import { fileTooLarge } from './upload-spool.ts'

export type ReceivedUpload = {
  fields: Record<string, string>
  /** The file part, when the upload had one under the expected field name. */
  file?: { bytes: number; fileName: string | undefined; declaredType: string | undefined }
}

const malformed = (message: string) => appError('VALIDATION_ERROR', message, { fields: [{ path: 'body', message }] })

/**
 * Parses a multipart body as it streams in: text fields are kept (small, bounded), the one file
 * under `fileField` is written to `filePath` and capped at `maxBytes` (413), other files are
 * drained unread. `expectedLength` is the signed body length: a body of another length is refused.
 */
export const receiveUpload = async ({
  body,
  contentType,
  fileField,
  filePath,
  maxBytes,
  expectedLength
}: {
  body: Readable
  contentType: string
  fileField: string
  filePath: string
  maxBytes: number
  expectedLength: number | undefined
}): Promise<ReceivedUpload> => {
  let parser: busboy.Busboy
  try {
    parser = busboy({ headers: { 'content-type': contentType }, limits: { fileSize: maxBytes + 1, files: 2, fields: 20, fieldSize: 8 * 1024, parts: 24 } })
  } catch {
    throw malformed('The multipart body has no valid boundary')
  }
  const fields: Record<string, string> = {}
  let file: Promise<ReceivedUpload['file']> | undefined
  parser.on('field', (name, value) => {
    fields[name] = value
  })
  parser.on('file', (name, stream, info) => {
    // Every part's stream can fail (a body cut short inside it). The parser fails with it and the
    // pipeline below reports that once, as the request's 400: an 'error' left unheard on a
    // drained part would instead be an uncaught exception that ends the host.
    stream.on('error', () => {})
    if (name !== fileField || file) {
      stream.resume()
      return
    }
    let bytes = 0
    const count = async function* (source: AsyncIterable<Buffer>) {
      for await (const chunk of source) {
        bytes += chunk.length
        yield chunk
      }
    }
    file = pipeline(stream, count, createWriteStream(filePath)).then(() => {
      // busboy stops at its limit (one byte past ours, as it also marks a file that ends exactly
      // on it) and skips the rest of the body.
      if ((stream as { truncated?: boolean }).truncated || bytes > maxBytes) throw fileTooLarge(maxBytes)
      return { bytes, fileName: info.filename || undefined, declaredType: info.mimeType || undefined }
    })
    // Handled when awaited below; without this an early failure would be an unhandled rejection.
    file.catch(() => {})
  })
  let received = 0
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      received += chunk.length
      done(null, chunk)
    }
  })
  try {
    await pipeline(body, counter, parser)
  } catch (error) {
    if (error instanceof AppError) throw error
    throw malformed('The multipart body is malformed or was cut short')
  }
  const uploaded = await file
  if (expectedLength !== undefined && received !== expectedLength) {
    throw appError('INTERNAL_AUTH_FAILED', 'The upload does not have the signed length', { reason: 'bad_length' })
  }
  return { fields, ...(uploaded ? { file: uploaded } : {}) }
}
