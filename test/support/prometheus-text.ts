import parsePrometheusTextFormat from 'parse-prometheus-text-format'
import type { PrometheusFamily, PrometheusSample } from 'parse-prometheus-text-format'

const matches = (sample: PrometheusSample, wanted: Record<string, string>): boolean =>
  Object.entries(wanted).every(([key, value]) => sample.labels?.[key] === value)

const total = (samples: PrometheusSample[], wanted: Record<string, string>): number =>
  samples.filter(sample => matches(sample, wanted)).reduce((sum, sample) => sum + Number(sample.value), 0)

/** A metrics text read by an off-the-shelf parser, with the lookups the tests share. */
export const readMetrics = (text: string) => {
  const families: PrometheusFamily[] = parsePrometheusTextFormat(text)
  const family = (name: string): PrometheusFamily | undefined => families.find(f => f.name === name)
  return {
    families,
    family,
    /** The sum of a counter's or a gauge's samples whose labels include `labels` (0 when none). */
    value: (name: string, labels: Record<string, string> = {}): number => total(family(name)?.metrics ?? [], labels),
    /**
     * How many observations a histogram counted, over its series whose labels include `labels`.
     * The parser folds a histogram's label sets into one (its flattenMetrics), so the `_count`
     * lines are handed to it alone, where it reads them as an untyped family with their labels.
     */
    observations: (name: string, labels: Record<string, string> = {}): number => {
      const counts = text.split('\n').filter(line => line.startsWith(`${name}_count{`) || line.startsWith(`${name}_count `))
      return total(parsePrometheusTextFormat(`${counts.join('\n')}\n`)[0]?.metrics ?? [], labels)
    }
  }
}
