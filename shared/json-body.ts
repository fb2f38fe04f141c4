import type { Context } from 'hono'
import type { z } from 'zod'
import { appError } from './errors.ts'

const decoder = new TextDecoder()

/**
 * Parses and validates a JSON body; malformed JSON is the caller's 400, not our 500. Reads the
 * bytes the signature check already read (Hono caches them): asking for `json()` after
 * `arrayBuffer()` would rebuild the body through a whole Response.
 */
export const jsonBody = async <S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> => {
  let body: unknown
  try {
    body = JSON.parse(decoder.decode(await c.req.arrayBuffer()))
  } catch {
    throw appError('INVALID_JSON', 'Request body is not valid JSON')
  }
  return schema.parse(body)
}
