import { createRoute, z } from '@hono/zod-openapi'
import { appError } from '../../shared/errors.ts'
import { HOST_METRICS_PATH, PROMETHEUS_CONTENT_TYPE } from '../../shared/host-api/metrics.ts'
import { missingToken } from '../auth/auth-errors.ts'
import { bearerToken } from '../auth/middleware.ts'
import { requireScope } from '../auth/scopes.ts'
import { sameToken } from '../auth/static-token.ts'
import type { RouteGroupApp, RequestDeps } from '../env/gateway-env.ts'
import { errorResponses } from '../http/schemas.ts'
import { labelValue, mergeExpositions } from '../metrics/merge-expositions.ts'

const route = createRoute({
  method: 'get',
  path: '/metrics',
  tags: ['Health'],
  summary: 'Prometheus metrics of every session host (an admin token or METRICS_TOKEN)',
  description:
    "The hosts' metrics in the Prometheus text format 0.0.4, merged: each series carries its `host` label (HOST_ID). `wagw_gateway_host_up` says which hosts answered; a host that did not is left out. Only an `admin` token sees the hosts' URLs.",
  security: [{ bearerAuth: [] }],
  responses: {
    200: { description: 'Prometheus text exposition', content: { [PROMETHEUS_CONTENT_TYPE]: { schema: z.string() } } },
    ...errorResponses()
  }
})

/** Who may read the metrics: the scraper's static token, or an admin JWT that covers every session. */
const authorize = async ({ config, verifier }: RequestDeps, header: string | undefined): Promise<'scraper' | 'admin'> => {
  const token = bearerToken(header)
  if (token === undefined) throw missingToken()
  if (config.METRICS_TOKEN && (await sameToken(token, config.METRICS_TOKEN))) return 'scraper'
  const principal = await verifier.verify(token)
  requireScope(principal, 'admin')
  // Every session's series is in the text: a token narrowed to some sessions may not see the others.
  if (principal.sessions) throw appError('SESSION_FORBIDDEN', 'Metrics cover every session; this token is limited to some')
  return 'admin'
}

/**
 * GET /metrics, outside /api: asks every session host for its metrics and serves them as one text,
 * with the gateway's view of which hosts answered (by their place in HOST_URL; the URL itself only
 * for an admin, as /api/health does).
 */
export const registerMetrics = (app: RouteGroupApp) =>
  app.openapi(route, async c => {
    const caller = await authorize(c.var.deps, c.req.header('Authorization'))
    const answers = await c.var.deps.host.eachHost(HOST_METRICS_PATH)
    const up = [
      '# HELP wagw_gateway_host_up Whether the session host answered this scrape (index: its place in HOST_URL)',
      '# TYPE wagw_gateway_host_up gauge',
      ...answers.map(
        ({ url, text }, index) => `wagw_gateway_host_up{index="${index}"${caller === 'admin' ? `,url="${labelValue(url)}"` : ''}} ${text === undefined ? 0 : 1}`
      )
    ].join('\n')
    const merged = mergeExpositions([up, ...answers.flatMap(({ text }) => (text === undefined ? [] : [text]))])
    return c.text(merged, 200, { 'content-type': PROMETHEUS_CONTENT_TYPE })
  })
