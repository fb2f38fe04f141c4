import { execSync } from 'node:child_process'
import { resolve } from 'node:path'
import { gzipSync } from 'node:zlib'
import { bundleWorker } from '../support/worker-bundle.ts'
import { startWorkerd } from '../support/workerd.ts'

/**
 * The Workers gateway (issue 17, goal 4): its script bundle gzipped against the 150 KB budget, and
 * a cold start (workerd loading the script, then the first answer, which builds the app and reads
 * the phone metadata from the static assets) against a trivial worker measured in the same run,
 * median of ROUNDS starts each.
 */
const ROUNDS = Number(process.env.BENCH_WORKER_ROUNDS ?? 7)
const BUDGET_KB = 150
const ROOT = resolve(import.meta.dirname, '..', '..')
const filler = 'f'.repeat(32)
const BINDINGS = { HOST_URL: 'http://127.0.0.1:9', INTERNAL_SECRET: filler, JWT_SECRET: filler, OTP_PEPPER: filler }

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

/** From workerd's start to its listening (it loads the script first), and from there to the first answer. */
const firstAnswer = async (main: string, path: string): Promise<{ loadMs: number; answerMs: number }> => {
  const bundled = await bundleWorker(main)
  const started = performance.now()
  const worker = await startWorkerd({ main, bundled, compatibilityDate: '2026-04-01', bindings: BINDINGS, assetsDir: resolve(ROOT, 'dist', 'worker-assets') })
  const listening = performance.now()
  try {
    const response = await fetch(`${worker.url}${path}`)
    await response.arrayBuffer()
    if (!response.ok) throw new Error(`${main} ${path}: ${response.status} ${worker.logs()}`)
    return { loadMs: listening - started, answerMs: performance.now() - listening }
  } finally {
    await worker.stop()
  }
}

export const benchWorkers = async () => {
  execSync('node --import tsx scripts/worker-assets.ts', { cwd: ROOT, stdio: 'pipe' })
  const gzipKb = async (minify: boolean) => gzipSync(await bundleWorker('gateway/worker.ts', { minify })).length / 1024
  const [minified, plain, trivial] = [await gzipKb(true), await gzipKb(false), gzipSync(await bundleWorker('test/bench/trivial-worker.ts')).length / 1024]
  const baseline: { loadMs: number; answerMs: number }[] = []
  const ours: { loadMs: number; answerMs: number }[] = []
  for (let round = 0; round < ROUNDS; round++) {
    baseline.push(await firstAnswer('test/bench/trivial-worker.ts', '/'))
    ours.push(await firstAnswer('gateway/worker.ts', '/livez'))
  }
  const of = (runs: typeof ours, key: 'loadMs' | 'answerMs' | 'coldMs') => median(runs.map(run => (key === 'coldMs' ? run.loadMs + run.answerMs : run[key])))
  // On Workers a cold isolate loads the script for the request that wakes it: both count.
  const extra = of(ours, 'coldMs') - of(baseline, 'coldMs')
  console.log(`Workers gateway: bundle ${minified.toFixed(1)} KB gzipped (unminified ${plain.toFixed(1)} KB; trivial worker ${trivial.toFixed(1)} KB)`)
  console.log(`  bundle / budget (${BUDGET_KB} KB): ${(minified / BUDGET_KB).toFixed(2)}  (goal < 1)`)
  console.log(
    `  workerd loading the script: trivial ${of(baseline, 'loadMs').toFixed(1)} ms, gateway ${of(ours, 'loadMs').toFixed(1)} ms (median of ${ROUNDS})`
  )
  console.log(`  first answer once listening: trivial ${of(baseline, 'answerMs').toFixed(1)} ms (baseline), gateway ${of(ours, 'answerMs').toFixed(1)} ms`)
  console.log(
    `  cold start (load + first answer): trivial ${of(baseline, 'coldMs').toFixed(1)} ms (baseline), gateway ${of(ours, 'coldMs').toFixed(1)} ms: later by ${extra.toFixed(1)} ms, ratio ${(of(ours, 'coldMs') / of(baseline, 'coldMs')).toFixed(2)}  (goal: within 25 ms)`
  )
}
