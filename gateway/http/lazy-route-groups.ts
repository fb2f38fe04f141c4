import type { Context, ExecutionContext, HonoRequest, MiddlewareHandler } from 'hono'
import type { GatewayApp, GatewayEnv, RouteGroupApp } from '../env/gateway-env.ts'
import { onceUntilFailed } from '../../shared/once-until-failed.ts'

/** A part of the public API, built on its first request (the groups are in gateway/route-groups.ts). */
export type RouteGroup = {
  name: string
  /**
   * The group's routes as Hono patterns (`:param`, `:param{a|b}`): the root app hands a request to
   * the first group with a matching one. They must be the group's own routes
   * (route-groups.test.ts checks both ways).
   */
  routes: readonly (readonly [method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, access?: 'public'])[]
  /** The group's module, imported on the group's first request: its schemas are built then. */
  load(): Promise<(app: RouteGroupApp) => unknown>
  /** Registered only in sandbox mode. */
  sandboxOnly?: true
}

/**
 * What the root app's middleware set on a request, for the group app that answers it: the
 * variables (its dependencies, the token's principal) and the body it already read, if it did.
 */
type HandedOver = Partial<GatewayEnv['Variables']> & { bodyCache: HonoRequest['bodyCache'] }
const handedOver = new WeakMap<Request, HandedOver>()
/**
 * Marks the answer of a built app that has no route for a request: the root app goes on past it.
 * A header, not the Response itself: Hono answers a HEAD with a copy of the GET's Response.
 */
const UNMATCHED = 'x-lazy-app-unmatched'

/** An empty group app; zod-openapi itself is imported with the first group. */
export const newRouteGroupApp = async (): Promise<RouteGroupApp> => {
  const { OpenAPIHono } = await import('@hono/zod-openapi')
  return new OpenAPIHono<GatewayEnv>({
    defaultHook: result => {
      if (!result.success) throw result.error
    }
  })
}

/**
 * A group's own app: for a lazily built one, the root app's variables first, then the group's
 * routes; one built ahead is merged into the root app's router and sees its variables as they are.
 */
const buildGroupApp = async (group: RouteGroup, built: 'lazily' | 'ahead'): Promise<RouteGroupApp> => {
  const [app, register] = await Promise.all([newRouteGroupApp(), group.load()])
  if (built === 'lazily')
    app.use('*', async (c, next) => {
      const handed = handedOver.get(c.req.raw)
      if (handed?.deps) c.set('deps', handed.deps)
      if (handed?.principal) c.set('principal', handed.principal)
      if (handed) Object.assign(c.req.bodyCache, handed.bodyCache)
      await next()
    })
  register(app)
  return app
}

/** Route groups' apps built before the first request, by group (buildRouteGroups). */
export type BuiltRouteGroups = ReadonlyMap<RouteGroup, RouteGroupApp>

/**
 * Every group's app, built now: a long-running process (gateway/node.ts) mounts them straight onto
 * the root app, so a request is routed once, by the root app's router, and no group waits for its
 * first request to be built.
 */
export const buildRouteGroups = async (groups: readonly RouteGroup[]): Promise<BuiltRouteGroups> =>
  new Map(await Promise.all(groups.map(async group => [group, await buildGroupApp(group, 'ahead')] as const)))

/** What lazyApp needs of the app it builds: any Hono app. */
type LazyBuilt = {
  fetch(request: Request, env?: unknown, executionCtx?: ExecutionContext): Response | Promise<Response>
  notFound(handler: () => Response): unknown
  onError(handler: (error: Error) => never): unknown
}

/**
 * A root-app handler that answers with the app `build` makes on the first request (and again on
 * the next one if building failed). The root app's middleware has run by then; the built app
 * answers with the same Request and the variables that middleware set. Its errors go to the root
 * app's error handler, and a request it has no route for goes on to the root app's next handler.
 */
export const lazyApp = (build: () => Promise<LazyBuilt>): MiddlewareHandler<GatewayEnv> => {
  // Node's server gives no ExecutionContext, and Hono's getter throws (an Error, stack and all)
  // without one: once a request has shown that this runtime gives none, it is not asked again.
  let contexts = true
  const executionContextOf = (c: Context): ExecutionContext | undefined => {
    if (!contexts) return undefined
    try {
      return c.executionCtx
    } catch {
      contexts = false
      return undefined
    }
  }
  const answering = onceUntilFailed(() =>
    build().then(app => {
      app.notFound(() => new Response(null, { status: 404, headers: { [UNMATCHED]: '1' } }))
      app.onError(error => {
        throw error
      })
      return app
    })
  )
  return async (c, next) => {
    const app = await answering()
    handedOver.set(c.req.raw, { deps: c.var.deps, principal: c.var.principal, bodyCache: c.req.bodyCache })
    const answer = await app.fetch(c.req.raw, c.env, executionContextOf(c))
    if (!answer.headers.has(UNMATCHED)) return answer
    await next()
  }
}

/** The paths of the groups' routes marked 'public': answered without a bearer token. */
export const publicRoutePaths = (groups: readonly RouteGroup[]): string[] =>
  groups.flatMap(group => group.routes.filter(([, , access]) => access === 'public').map(([, path]) => path))

/**
 * Routes each group's patterns on the root app to the group's own app: the one in `built` if there
 * is one, merged into the root app's router, or else one built on the group's first request.
 */
export const mountRouteGroups = (app: GatewayApp, groups: readonly RouteGroup[], built?: BuiltRouteGroups): void => {
  for (const group of groups) {
    const ready = built?.get(group)
    if (ready) {
      app.route('/', ready)
      continue
    }
    const handler = lazyApp(() => buildGroupApp(group, 'lazily'))
    for (const [method, path] of group.routes) app.on(method, path, handler)
  }
}

/** One app with every group's routes, for the OpenAPI document. */
export const documentedRoutes = async (groups: readonly RouteGroup[]): Promise<RouteGroupApp> => {
  const [app, ...registers] = await Promise.all([newRouteGroupApp(), ...groups.map(group => group.load())])
  for (const register of registers) register(app)
  return app
}
