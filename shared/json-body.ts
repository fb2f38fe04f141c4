import type { Context } from 'hono'
import type { z } from 'zod'
import { appError } from './errors.ts'

const decoder = new TextDecoder()

/**
 * Parses and validates a JSON body; malformed JSON is the caller's 400, not our 500. Reads the
 * bytes the signature check already read (Hono caches them): asking for `json()` after
 * `arrayBuffer()` would rebuild the body through a whole Response.
 */
export const jsonBody = async <S extends z.ZodType>(c: Context, schema: S, { emptyAs }: { emptyAs?: unknown } = {}): Promise<z.infer<S>> => {
  let body: unknown
  try {
    const bytes = await c.req.arrayBuffer()
    body = bytes.byteLength === 0 && emptyAs !== undefined ? emptyAs : JSON.parse(decoder.decode(bytes))
  } catch {
    throw appError('INVALID_JSON', 'Request body is not valid JSON')
  }
  return schema.parse(body)
}
