import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi'

/**
 * The Workers benchmark's floor for the gateway's design: one route validated by @hono/zod-openapi
 * (the library the gateway's routes are written with) and nothing else. What it costs over the
 * trivial worker is what zod and zod-openapi alone add to a cold start.
 */
const verify = createRoute({
  method: 'post',
  path: '/api/otp/verify',
  request: { body: { content: { 'application/json': { schema: z.object({ otpId: z.string().min(8), code: z.string().regex(/^\d{4,10}$/) }) } } } },
  responses: { 200: { description: 'Checked', content: { 'application/json': { schema: z.object({ valid: z.boolean() }) } } } }
})
const app = new OpenAPIHono()
app.openapi(verify, c => c.json({ valid: c.req.valid('json').code === '000000' }, 200))
export default app
