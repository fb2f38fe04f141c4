import { readdirSync, readFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'

/**
 * Summarises the `.cpuprofile` files in a folder (as `BENCH_PROFILE=<dir> npm run bench` writes
 * them): the functions with the most self time, and self time grouped by package or project folder.
 * Usage: node --import tsx test/bench/profile-summary.ts <dir> [top]
 */
type Node = { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
type Profile = { nodes: Node[]; samples: number[]; timeDeltas: number[] }

const ROOT = resolve(import.meta.dirname, '..', '..')
const [dir = '.', top = '25'] = process.argv.slice(2)

const where = (url: string): string => {
  if (url === '') return '(native)'
  const path = url.replace(/^file:\/\//, '')
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)
  if (pkg) return pkg[1]!
  if (path.startsWith('node:')) return 'node'
  return path.startsWith(ROOT) ? relative(ROOT, path).split('/').slice(0, 2).join('/') : path
}

const profiles = readdirSync(dir)
  .filter(name => name.endsWith('.cpuprofile'))
  .map(file => ({ file, profile: JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile }))
// A process with tsx has a second thread (the module loader); only the busiest profile matters.
const idleUs = ({ nodes, samples, timeDeltas }: Profile) => {
  const idle = new Set(nodes.filter(node => node.callFrame.functionName === '(idle)').map(node => node.id))
  return samples.reduce((sum, id, i) => sum + (idle.has(id) ? (timeDeltas[i] ?? 0) : 0), 0)
}
const busyUs = (profile: Profile) => profile.timeDeltas.reduce((a, b) => a + b, 0) - idleUs(profile)
const busiest = profiles.sort((a, b) => busyUs(b.profile) - busyUs(a.profile)).slice(0, 1)
for (const { file, profile } of busiest) {
  const byId = new Map(profile.nodes.map(node => [node.id, node]))
  const selfUs = new Map<number, number>()
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)))
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0)
  const idle = [...selfUs].filter(([id]) => byId.get(id)!.callFrame.functionName === '(idle)').reduce((a, [, us]) => a + us, 0)
  const byFunction = new Map<string, number>()
  const byPlace = new Map<string, number>()
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame
    if (functionName === '(idle)') continue
    const name = `${functionName || '(anonymous)'} ${url ? `${url.replace(/^file:\/\//, '').replace(ROOT + '/', '').replace(/.*node_modules\//, '')}:${lineNumber + 1}` : ''}`
    byFunction.set(name, (byFunction.get(name) ?? 0) + us)
    byPlace.set(where(url), (byPlace.get(where(url)) ?? 0) + us)
  }
  const busy = total - idle
  const pct = (us: number) => `${((100 * us) / busy).toFixed(1).padStart(5)}%`
  console.log(`\n== ${file}: ${(busy / 1000).toFixed(0)} ms busy of ${(total / 1000).toFixed(0)} ms`)
  console.log('-- self time by package / folder')
  for (const [place, us] of [...byPlace].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`${pct(us)}  ${place}`)
  console.log('-- top functions by self time')
  for (const [name, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, Number(top))) console.log(`${pct(us)}  ${name}`)
}
