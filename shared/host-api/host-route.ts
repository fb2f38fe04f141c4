import type { ParamKeys } from 'hono/types'
import type { z } from 'zod'

export type HostMethod = 'GET' | 'POST' | 'PUT' | 'DELETE'

/** The values a pattern's `:name` segments take, plus the query string a route may carry. */
export type RouteParams<Pattern extends string> = { [Name in ParamKeys<Pattern>]: string } & { query?: Record<string, string> }

/**
 * One internal route as both processes know it: its Hono pattern (the host mounts it, the gateway
 * fills it in), the body the host parses (the same schema), and the answer's shape. The gateway
 * types what it reads from the schema and does not parse it again: the host built it from the
 * same definition.
 */
export type HostRoute<Pattern extends string, Body extends z.ZodType | undefined, Answer extends z.ZodType> = {
  method: HostMethod
  pattern: Pattern
  body: Body
  answer: Answer
  /** The pattern with each `:name` replaced by its value, encoded so an id can never reach another route. */
  path(params: RouteParams<Pattern>): string
}

/** Fills `:name` segments that `values` names, leaving the others (a host registers one route per kind this way). */
export const fillPattern = (pattern: string, values: Record<string, string | undefined>): string =>
  pattern.replace(/:([A-Za-z]+)/g, (segment, name: string) => (values[name] === undefined ? segment : encodeURIComponent(values[name])))

export const hostRoute = <const Pattern extends string, Body extends z.ZodType | undefined, Answer extends z.ZodType>(
  route: Omit<HostRoute<Pattern, Body, Answer>, 'path'>
): HostRoute<Pattern, Body, Answer> => ({
  ...route,
  path: ({ query, ...values }) => {
    const search = query && Object.keys(query).length > 0 ? `?${new URLSearchParams(query)}` : ''
    return `${fillPattern(route.pattern, values as Record<string, string>)}${search}`
  }
})
