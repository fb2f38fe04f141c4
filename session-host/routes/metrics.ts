import { Hono } from 'hono'
import { HOST_METRICS_PATH } from '../../shared/host-api/metrics.ts'
import type { HostMetrics } from '../metrics/host-metrics.ts'

/** The host's metrics for the gateway's /metrics, which merges every host's. */
export const metricsRoutes = (metrics: Pick<HostMetrics, 'render' | 'contentType'>) =>
  new Hono().get(HOST_METRICS_PATH, async c => c.body(await metrics.render(), 200, { 'content-type': metrics.contentType }))
