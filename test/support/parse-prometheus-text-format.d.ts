// The parser ships no types: what its one function returns, as the tests read it.
declare module 'parse-prometheus-text-format' {
  export type PrometheusSample = {
    labels?: Record<string, string>
    value?: string
    buckets?: Record<string, string>
    count?: string
    sum?: string
  }
  export type PrometheusFamily = {
    name: string
    help: string
    type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED'
    metrics: PrometheusSample[]
  }
  const parsePrometheusTextFormat: (text: string) => PrometheusFamily[]
  export default parsePrometheusTextFormat
}
