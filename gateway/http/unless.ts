import type { Context, Env, MiddlewareHandler } from 'hono'
import { TrieRouter } from 'hono/router/trie-router'

/**
 * `middleware`, but not for the requests `skip` picks out: hono/combine's `except`, without the
 * Error (stack and all) that `except` builds for every request it does not skip.
 */
export const unless =
  <E extends Env>(skip: (c: Context<E>) => boolean, middleware: MiddlewareHandler<E>): MiddlewareHandler<E> =>
  (c, next) =>
    skip(c) ? next() : middleware(c, next)

/** Whether a request's path matches one of these Hono path patterns (`:param`, `*`). */
export const pathIn = (patterns: readonly string[]): ((c: Context) => boolean) => {
  const router = new TrieRouter<true>()
  for (const pattern of patterns) router.add('ALL', pattern, true)
  return c => router.match('ALL', c.req.path)[0].length > 0
}
