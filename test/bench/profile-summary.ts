import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { basename, join, relative, resolve } from 'node:path'

/**
 * Summarises the CPU profile of one bench process (`BENCH_PROFILE=<dir> npm run bench` writes
 * <dir>/bare, <dir>/gateway, <dir>/host): the functions with the most self time, and self time by
 * package or project folder. When the bench wrote <dir>/windows.json, only the samples taken while
 * the requests were measured count, and the busy time is also given per request.
 * Usage: node --import tsx test/bench/profile-summary.ts <dir>/gateway [top]
 */
type Node = { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
type Profile = { nodes: Node[]; startTime: number; samples: number[]; timeDeltas: number[] }
type Window = { start: number; end: number; requests: number }

const ROOT = resolve(import.meta.dirname, '..', '..')
const [dir = '.', top = '25'] = process.argv.slice(2)
const windowsFile = join(dir, '..', 'windows.json')
const window = existsSync(windowsFile) ? (JSON.parse(readFileSync(windowsFile, 'utf8')) as Record<string, Window>)[basename(resolve(dir))] : undefined

const where = (url: string): string => {
  if (url === '') return '(native)'
  const path = url.replace(/^file:\/\//, '')
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)
  if (pkg) return pkg[1]!
  if (path.startsWith('node:')) return 'node'
  return path.startsWith(ROOT) ? relative(ROOT, path).split('/').slice(0, 2).join('/') : path
}

/** Self time per node id, in µs, of the samples inside the window (all samples without one). */
const selfTimes = (profile: Profile): Map<number, number> => {
  const self = new Map<number, number>()
  let at = profile.startTime
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0
    at += delta
    if (window && (at < window.start || at > window.end)) return
    self.set(id, (self.get(id) ?? 0) + delta)
  })
  return self
}

const functionName = ({ callFrame: { functionName, url, lineNumber } }: Node): string => {
  const shortUrl = url
    .replace(/^file:\/\//, '')
    .replace(`${ROOT}/`, '')
    .replace(/.*node_modules\//, '')
  return `${functionName || '(anonymous)'}${url ? ` ${shortUrl}:${lineNumber + 1}` : ''}`
}

/** Time with each function on the stack (once per sample, however deep it recurses). */
const inclusiveTimes = (byId: Map<number, Node>, self: Map<number, number>): Map<string, number> => {
  const parent = new Map<number, number>()
  for (const node of byId.values()) for (const child of node.children ?? []) parent.set(child, node.id)
  const inclusive = new Map<string, number>()
  for (const [id, us] of self) {
    if (byId.get(id)!.callFrame.functionName === '(idle)') continue
    const seen = new Set<string>()
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) seen.add(functionName(byId.get(at)!))
    for (const name of seen) inclusive.set(name, (inclusive.get(name) ?? 0) + us)
  }
  return inclusive
}

const profiles = readdirSync(dir)
  .filter(name => name.endsWith('.cpuprofile'))
  .map(file => {
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile
    const byId = new Map(profile.nodes.map(node => [node.id, node]))
    const self = selfTimes(profile)
    const idle = [...self].filter(([id]) => byId.get(id)!.callFrame.functionName === '(idle)').reduce((a, [, us]) => a + us, 0)
    const total = [...self.values()].reduce((a, b) => a + b, 0)
    return { file, byId, self, busy: total - idle, total }
  })
// A process with tsx has a second thread (the module loader); only the busiest profile matters.
const { file, byId, self, busy, total } = profiles.sort((a, b) => b.busy - a.busy)[0]!

const byFunction = new Map<string, number>()
const byPlace = new Map<string, number>()
for (const [id, us] of self) {
  const node = byId.get(id)!
  if (node.callFrame.functionName === '(idle)') continue
  const name = functionName(node)
  byFunction.set(name, (byFunction.get(name) ?? 0) + us)
  byPlace.set(where(node.callFrame.url), (byPlace.get(where(node.callFrame.url)) ?? 0) + us)
}
const pct = (us: number) => `${((100 * us) / busy).toFixed(1).padStart(5)}%`
const perRequest = window ? `, ${(busy / window.requests).toFixed(0)} µs per measured request (${window.requests})` : ''
console.log(`\n== ${basename(resolve(dir))} (${file}): ${(busy / 1000).toFixed(0)} ms busy of ${(total / 1000).toFixed(0)} ms sampled${perRequest}`)
console.log('-- self time by package / folder')
for (const [place, us] of [...byPlace].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`${pct(us)}  ${place}`)
console.log('-- top functions by self time')
for (const [name, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, Number(top))) console.log(`${pct(us)}  ${name}`)
console.log("-- the project's functions by time on the stack (self and callees)")
for (const [name, us] of [...inclusiveTimes(byId, self)]
  .filter(([name]) => !name.includes('node_modules') && / (gateway|session-host|shared)\//.test(` ${name}`))
  .sort((a, b) => b[1] - a[1])
  .slice(0, Number(top)))
  console.log(`${pct(us)}  ${name}`)
