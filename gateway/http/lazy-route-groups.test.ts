import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createRoute, z } from '@hono/zod-openapi'
import { Hono } from 'hono'
import type { GatewayApp, GatewayEnv, RequestDeps, RouteGroupApp } from '../env/gateway-env.ts'
import type { Principal } from '../auth/scopes.ts'
import { buildRouteGroups, documentedRoutes, lazyApp, mountRouteGroups } from './lazy-route-groups.ts'
import type { BuiltRouteGroups, RouteGroup } from './lazy-route-groups.ts'

const echo = createRoute({
  method: 'post',
  path: '/echo/{name}',
  request: { params: z.object({ name: z.string().regex(/^[a-z]+$/) }), body: { content: { 'application/json': { schema: z.object({ n: z.number() }) } } } },
  responses: { 200: { description: 'Echoed' } }
})

/** Groups whose loads are counted; `broken` fails its first load. */
const testGroups = () => {
  const loads = { echo: 0, boom: 0, broken: 0 }
  const groups: RouteGroup[] = [
    {
      name: 'echo',
      routes: [['POST', '/echo/:name']],
      load: async () => {
        loads.echo++
        return (app: RouteGroupApp) =>
          app.openapi(echo, c =>
            c.json({ name: c.req.valid('param').name, n: c.req.valid('json').n, deps: c.var.deps.now(), who: c.var.principal?.subject }, 200)
          )
      }
    },
    {
      name: 'boom',
      // The group answers /boom only; /boom/* reaches it and falls through.
      routes: [
        ['GET', '/boom'],
        ['GET', '/boom/*']
      ],
      load: async () => {
        loads.boom++
        return (app: RouteGroupApp) =>
          app.get('/boom', () => {
            throw new Error('handler failed')
          })
      }
    },
    {
      // Its pattern overlaps the next group's: the earlier group answers the paths both match.
      name: 'special',
      routes: [['GET', '/items/special']],
      load: async () => (app: RouteGroupApp) => app.get('/items/special', c => c.text('special'))
    },
    {
      name: 'items',
      routes: [['GET', '/items/:id']],
      load: async () => (app: RouteGroupApp) => app.get('/items/:id', c => c.text(`item ${c.req.param('id')}`))
    },
    {
      name: 'broken',
      routes: [['GET', '/broken']],
      load: async () => {
        if (loads.broken++ === 0) throw new Error('module did not load')
        return (app: RouteGroupApp) => app.get('/broken', c => c.text('loaded on the second try'))
      }
    }
  ]
  return { loads, groups }
}

/** A root app as app.ts builds it: variables set by middleware, one error handler, one not-found answer. */
const rootApp = (groups: RouteGroup[], built?: BuiltRouteGroups) => {
  const app: GatewayApp = new Hono<GatewayEnv>()
  app.use('*', async (c, next) => {
    c.set('deps', { now: () => 42 } as unknown as RequestDeps)
    if (c.req.header('x-user')) c.set('principal', { subject: c.req.header('x-user') } as unknown as Principal)
    await next()
  })
  mountRouteGroups(app, groups, built)
  app.notFound(c => c.json({ error: 'NOT_FOUND' }, 404))
  app.onError((error, c) => c.json({ error: error.name, message: error.message }, error.name === 'ZodError' ? 422 : 500))
  return app
}

const post = (body: unknown, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body)
})

describe('lazy route groups', () => {
  it('builds a group on its first request only (once for concurrent ones), and no other group', async () => {
    const { loads, groups } = testGroups()
    const app = rootApp(groups)
    assert.deepEqual(loads, { echo: 0, boom: 0, broken: 0 })
    const answers = await Promise.all([1, 2, 3].map(n => app.request('/echo/abc', post({ n }, { 'x-user': 'u1' }))))
    assert.deepEqual(
      await Promise.all(answers.map(answer => answer.json())),
      [1, 2, 3].map(n => ({ name: 'abc', n, deps: 42, who: 'u1' }))
    )
    await app.request('/echo/abc', post({ n: 4 }))
    assert.deepEqual(loads, { echo: 1, boom: 0, broken: 0 })
  })

  it('builds every group ahead when asked, once each, and loads none on a request', async () => {
    const { loads, groups } = testGroups()
    const ready = groups.filter(group => group.name !== 'broken')
    const app = rootApp(ready, await buildRouteGroups(ready))
    assert.deepEqual(loads, { echo: 1, boom: 1, broken: 0 })
    assert.deepEqual(await (await app.request('/echo/abc', post({ n: 1 }, { 'x-user': 'u2' }))).json(), { name: 'abc', n: 1, deps: 42, who: 'u2' })
    await app.request('/boom')
    assert.deepEqual(loads, { echo: 1, boom: 1, broken: 0 })
  })

  it('tries a group whose loading failed again on the next request', async () => {
    const { loads, groups } = testGroups()
    const app = rootApp(groups)
    assert.equal((await app.request('/broken')).status, 500)
    const second = await app.request('/broken')
    assert.equal(await second.text(), 'loaded on the second try')
    assert.equal(loads.broken, 2)
  })

  it('documents every group in one OpenAPI registry', async () => {
    const { groups } = testGroups()
    const documented = await documentedRoutes(groups.slice(0, 2))
    const document = documented.getOpenAPI31Document({ openapi: '3.1.0', info: { title: 't', version: '1' } })
    assert.deepEqual(Object.keys(document.paths ?? {}), ['/echo/{name}'])
  })

  it('serves a plain Hono app the same way, built once, when the first request comes', async () => {
    let builds = 0
    const app = rootApp([])
    app.all(
      '/internal/*',
      lazyApp(async () => {
        builds++
        return new Hono()
          .post('/internal/ping', c => c.text('pong'))
          .get('/internal/fail', () => {
            throw new Error('internal failure')
          })
      })
    )
    assert.equal(builds, 0)
    assert.equal(await (await app.request('/internal/ping', { method: 'POST' })).text(), 'pong')
    assert.equal((await app.request('/internal/fail')).status, 500)
    assert.deepEqual(await (await app.request('/internal/other')).json(), { error: 'NOT_FOUND' })
    assert.equal(builds, 1)
  })
})

for (const ahead of [false, true]) {
  /** Built ahead as gateway/node.ts has them (all but the group that fails to load), or none, to be built on first request. */
  const builtFor = async (groups: RouteGroup[]) => (ahead ? buildRouteGroups(groups.filter(group => group.name !== 'broken')) : undefined)
  const mounted = async (groups: RouteGroup[]) => rootApp(groups, await builtFor(groups))

  describe(`route groups ${ahead ? 'built ahead' : 'built on first request'}`, () => {
    it('answers a path two groups match from the earlier group, and the rest from the later one', async () => {
      const app = await mounted(testGroups().groups)
      assert.equal(await (await app.request('/items/special')).text(), 'special')
      assert.equal(await (await app.request('/items/7')).text(), 'item 7')
    })

    it("hands the group's validation and handler errors to the root app's error handler", async () => {
      const app = await mounted(testGroups().groups)
      const invalid = await app.request('/echo/ABC', post({ n: 'one' }))
      assert.equal(invalid.status, 422)
      assert.equal(((await invalid.json()) as { error: string }).error, 'ZodError')
      const failed = await app.request('/boom')
      assert.equal(failed.status, 500)
      assert.deepEqual(await failed.json(), { error: 'Error', message: 'handler failed' })
    })

    it("goes on to the root app's not-found answer when the group has no such route, or no group matches", async () => {
      const app = await mounted(testGroups().groups)
      for (const path of ['/boom/deeper', '/nowhere']) {
        const answer = await app.request(path)
        assert.equal(answer.status, 404)
        assert.deepEqual(await answer.json(), { error: 'NOT_FOUND' })
      }
      assert.equal((await app.request('/echo/abc')).status, 404, 'a GET does not match the POST route')
      const head = await app.request('/boom/deeper', { method: 'HEAD' })
      assert.equal(head.status, 404)
      assert.match(head.headers.get('content-type') ?? '', /json/, "a HEAD gets the root app's answer too")
    })

    it('gives the group the body the root middleware already read', async () => {
      const app: GatewayApp = new Hono<GatewayEnv>()
      app.use('*', async (c, next) => {
        c.set('deps', { now: () => 7 } as unknown as RequestDeps)
        if ((await c.req.text()).length > 100) return c.text('too long', 413)
        await next()
      })
      const { groups } = testGroups()
      mountRouteGroups(app, groups, await builtFor(groups))
      const answer = await app.request('/echo/abc', post({ n: 5 }))
      assert.deepEqual(await answer.json(), { name: 'abc', n: 5, deps: 7 })
    })
  })
}
