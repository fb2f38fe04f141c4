/** One metric family of the text format: its `# HELP` and `# TYPE` lines and its samples. */
type Family = { help?: string; type?: string; samples: string[] }

/** The family a sample line belongs to: the name before its labels or value. */
const sampleName = (line: string): string => /^[^\s{]+/.exec(line)?.[0] ?? line

/**
 * Several Prometheus text expositions (one per session host) as one: each family's `# HELP` and
 * `# TYPE` once (the first text's), then every text's samples under it, in the order the families
 * first appeared. The hosts' series differ by their `host` label, so samples are kept as they are.
 * Samples are filed under the family declared before them, as the format groups them (a
 * histogram's `_bucket`, `_sum` and `_count` lines sit under its one `# TYPE`).
 */
export const mergeExpositions = (texts: readonly string[]): string => {
  const families = new Map<string, Family>()
  const family = (name: string): Family => {
    const found = families.get(name) ?? { samples: [] }
    families.set(name, found)
    return found
  }
  for (const text of texts) {
    let current: string | undefined
    for (const line of text.split('\n')) {
      const meta = /^#\s+(HELP|TYPE)\s+(\S+)/.exec(line)
      if (meta?.[2]) {
        current = meta[2]
        const target = family(current)
        if (meta[1] === 'HELP') target.help ??= line
        else target.type ??= line
        continue
      }
      if (line.trim() === '' || line.startsWith('#')) continue
      // A sample whose family was never declared (untyped) is a family of its own.
      const name = current && sampleName(line).startsWith(current) ? current : sampleName(line)
      family(name).samples.push(line)
    }
  }
  const lines: string[] = []
  for (const { help, type, samples } of families.values()) {
    if (help) lines.push(help)
    if (type) lines.push(type)
    lines.push(...samples)
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`
}

/** A label value as the text format writes it. */
export const labelValue = (value: string): string => value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')
