import { appError } from './errors.ts'

/**
 * Reads a request body of at most `maxBytes`: a larger declared length is refused before a byte
 * is read, and a body without a declared length (chunked) that runs past the cap is cancelled as
 * soon as it does, so an oversized or endless body is never held in memory. 413 either way.
 */
export const readCappedBody = async (request: Request, maxBytes: number): Promise<Uint8Array> => {
  const tooLarge = () => appError('PAYLOAD_TOO_LARGE', `Request body exceeds ${maxBytes} bytes`)
  const header = request.headers.get('content-length')
  const declared = header === null ? undefined : Number(header)
  if (declared !== undefined && declared > maxBytes) throw tooLarge()
  if (declared !== undefined && Number.isSafeInteger(declared)) {
    // A request off the network cannot carry more than the length it declared (HTTP frames it), so
    // one within the cap is read in one go: Node's adapter then reads the socket's bytes directly
    // instead of building a Web stream for them (a third of a small signed request's cost).
    const body = new Uint8Array(await request.arrayBuffer())
    if (body.byteLength > maxBytes) throw tooLarge()
    return body
  }
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
