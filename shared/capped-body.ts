import { appError } from './errors.ts'

/**
 * Reads a request body of at most `maxBytes`: a larger declared length is refused before a byte
 * is read, and a body that runs past the cap (chunked, or lying about its length) is cancelled
 * as soon as it does, so an oversized or endless body is never held in memory. 413 either way.
 */
export const readCappedBody = async (request: Request, maxBytes: number): Promise<Uint8Array> => {
  const tooLarge = () => appError('PAYLOAD_TOO_LARGE', `Request body exceeds ${maxBytes} bytes`)
  const declared = request.headers.get('content-length')
  if (declared !== null && Number(declared) > maxBytes) throw tooLarge()
  if (!request.body) return new Uint8Array(0)
  const reader = request.body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > maxBytes) {
      await reader.cancel().catch(() => {})
      throw tooLarge()
    }
    chunks.push(value)
  }
  const body = new Uint8Array(total)
  let offset = 0
  for (const chunk of chunks) {
    body.set(chunk, offset)
    offset += chunk.byteLength
  }
  return body
}
