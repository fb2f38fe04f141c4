import type { z } from 'zod'

export type HostMethod = 'GET' | 'POST' | 'PUT' | 'DELETE'

/**
 * One internal route as both processes know it: how the gateway addresses it, the body the host
 * parses (the same schema), and the answer's shape. The gateway types what it reads from the
 * schema and does not parse it again: the host built it from the same definition.
 */
export type HostRoute<Params, Body extends z.ZodType | undefined, Answer extends z.ZodType> = {
  method: HostMethod
  path: (params: Params) => string
  body: Body
  answer: Answer
}

export const hostRoute = <Params, Body extends z.ZodType | undefined, Answer extends z.ZodType>(route: HostRoute<Params, Body, Answer>) => route

/** A path segment from a caller's value: encoded, so an id can never reach another route. */
export const segment = (value: string): string => encodeURIComponent(value)
