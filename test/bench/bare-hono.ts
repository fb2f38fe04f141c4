import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import type { AddressInfo } from 'node:net'
import { Agent, request } from 'undici'

/**
 * The baseline: a bare Hono route on the same server adapter, answering a small JSON body. With
 * BARE_FORWARD_TO set it is the floor of the gateway's design instead: the same route hands the
 * body over keep-alive HTTP to another bare process and answers with that one's JSON, as the
 * gateway hands a verify to the host, with none of the work either does.
 */
const forwardTo = process.env.BARE_FORWARD_TO
const agent = new Agent({ keepAliveTimeout: 4_000 })
const app = new Hono().post('/verify', async c => {
  if (!forwardTo) return c.json({ success: true, data: { valid: false, echo: (await c.req.json<{ code: string }>()).code } })
  const answer = await request(`${forwardTo}/verify`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: await c.req.text(),
    dispatcher: agent
  })
  return c.json((await answer.body.json()) as object, answer.statusCode as 200)
})
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, info => {
  process.stdout.write(`${JSON.stringify({ port: (info as AddressInfo).port })}\n`)
})
process.on('SIGTERM', () => server.close(() => process.exit(0)))
