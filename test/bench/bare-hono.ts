import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import type { AddressInfo } from 'node:net'

/** The baseline: a bare Hono route on the same server adapter, answering a small JSON body. */
const app = new Hono().post('/verify', async c => c.json({ success: true, data: { valid: false, echo: (await c.req.json<{ code: string }>()).code } }))
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, info => {
  process.stdout.write(`${JSON.stringify({ port: (info as AddressInfo).port })}\n`)
})
process.on('SIGTERM', () => server.close(() => process.exit(0)))
