import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { Hono } from 'hono'
import { newRouteGroupApp, publicRoutePaths } from './http/lazy-route-groups.ts'
import { ROUTE_GROUPS } from './route-groups.ts'

/** Each group's own routes, as its module registers them (Hono paths, upper-case methods). */
const routesOf = async () =>
  Promise.all(
    ROUTE_GROUPS.map(async group => {
      const app = await newRouteGroupApp()
      ;(await group.load())(app)
      return { group, routes: app.routes.filter(route => route.method !== 'ALL').map(route => ({ method: route.method, path: route.path })) }
    })
  )

/** A concrete path for a route (each `:param` as a sample value). */
const concrete = (path: string) => path.replace(/:[A-Za-z]+/g, 'x1')

describe('the route groups table', () => {
  it("sends every route's requests to the route's own group first, and lists no pattern that none of the group's routes needs", async () => {
    const owned = await routesOf()
    assert.ok(owned.every(({ routes }) => routes.length > 0))
    // The root app's dispatch, with each group answering its name and the pattern that matched.
    const dispatch = new Hono()
    for (const { name, routes } of ROUTE_GROUPS) for (const [method, pattern] of routes) dispatch.on(method, pattern, c => c.json({ name, pattern }))
    const used = new Set<string>()
    for (const { group, routes } of owned)
      for (const route of routes) {
        const answer = await dispatch.request(concrete(route.path), { method: route.method })
        assert.equal(answer.status, 200, `${route.method} ${route.path} (${group.name}) matches no pattern`)
        const { name, pattern } = (await answer.json()) as { name: string; pattern: string }
        assert.equal(name, group.name, `${route.method} ${route.path} goes to ${name}, not ${group.name}`)
        used.add(`${name} ${pattern}`)
      }
    const unused = ROUTE_GROUPS.flatMap(({ name, routes }) => routes.map(([method, pattern]) => `${name} ${pattern} (${method})`)).filter(
      entry => !used.has(entry.replace(/ \([A-Z]+\)$/, ''))
    )
    assert.deepEqual(unused, [])
  })

  it('marks public, answered without a bearer token, only health and the QR page with its signed link', () => {
    assert.deepEqual(publicRoutePaths(ROUTE_GROUPS), ['/api/health', '/api/sessions/:sessionId/qr-page', '/api/sessions/:sessionId/qr-page/state'])
  })
})
