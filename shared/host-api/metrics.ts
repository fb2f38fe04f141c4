/** GET, signed like every internal route: the host's metrics in Prometheus text format (not an envelope). */
export const HOST_METRICS_PATH = '/internal/metrics'

/** The Prometheus text exposition format, version 0.0.4. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'
