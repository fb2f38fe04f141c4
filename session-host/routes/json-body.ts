import type { Context } from 'hono'
import type { z } from 'zod'
import { appError } from '../../shared/errors.ts'

/** Parses and validates a JSON body; malformed JSON is the caller's 400, not our 500. */
export const jsonBody = async <S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> => {
  let body: unknown
  try {
    body = await c.req.json()
  } catch {
    throw appError('INVALID_JSON', 'Request body is not valid JSON')
  }
  return schema.parse(body)
}
