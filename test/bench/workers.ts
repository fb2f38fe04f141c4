import { execSync } from 'node:child_process'
import { resolve } from 'node:path'
import { gzipSync } from 'node:zlib'
import { bundleWorker } from '../support/worker-bundle.ts'
import { startWorkerd } from '../support/workerd.ts'
import { mintToken } from '../../gateway/auth/mint-token.ts'

/**
 * The Workers gateway (issue 17, goal 4): its script bundle gzipped against the 150 KB budget, and
 * a cold start (workerd loading the script, then the first answer, which builds the app and reads
 * the phone metadata from the static assets) against a trivial worker measured in the same run,
 * median of ROUNDS starts each.
 */
const ROUNDS = Number(process.env.BENCH_WORKER_ROUNDS ?? 9)
const BUDGET_KB = 150
const ROOT = resolve(import.meta.dirname, '..', '..')
const filler = 'f'.repeat(32)
const BINDINGS = { HOST_URL: 'http://127.0.0.1:9', INTERNAL_SECRET: filler, JWT_SECRET: filler, OTP_PEPPER: filler }

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

type FirstRequest = { path: string; init?: RequestInit; status: number }
type Run = { loadMs: number; answerMs: number }

/** From workerd's start to its listening (it loads the script first), and from there to the first answer. */
const firstAnswer = async (main: string, bundled: Uint8Array, first: FirstRequest): Promise<Run> => {
  const started = performance.now()
  const worker = await startWorkerd({ main, bundled, compatibilityDate: '2026-04-01', bindings: BINDINGS, assetsDir: resolve(ROOT, 'dist', 'worker-assets') })
  const listening = performance.now()
  try {
    const response = await fetch(`${worker.url}${first.path}`, first.init)
    await response.arrayBuffer()
    if (response.status !== first.status) throw new Error(`${main} ${first.path}: ${response.status} ${worker.logs()}`)
    return { loadMs: listening - started, answerMs: performance.now() - listening }
  } finally {
    await worker.stop()
  }
}

export const benchWorkers = async () => {
  execSync('node --import tsx scripts/worker-assets.ts', { cwd: ROOT, stdio: 'pipe' })
  // Bundled once, before the rounds: esbuild's work stays out of the measured starts.
  const [trivialBundle, validatorBundle, gatewayBundle] = [
    await bundleWorker('test/bench/trivial-worker.ts'),
    await bundleWorker('test/bench/validator-worker.ts'),
    await bundleWorker('gateway/worker.ts')
  ]
  const gzipKb = (bundle: Uint8Array) => gzipSync(bundle).length / 1024
  const [minified, plain] = [gzipKb(gatewayBundle), gzipKb(await bundleWorker('gateway/worker.ts', { minify: false }))]
  // A probe, and an API call a backend makes (a verify whose body the OTP routes refuse with a 400, so no host is needed).
  const token = await mintToken({ secret: BINDINGS.JWT_SECRET, scopes: ['otp:verify'], ttlSeconds: 600 })
  const verify: FirstRequest = {
    path: '/api/otp/verify',
    init: { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ to: '+6281234567890' }) },
    status: 400
  }
  const baseline: Run[] = []
  const ours: Run[] = []
  const api: Run[] = []
  const validator: Run[] = []
  const validated: FirstRequest = { ...verify, init: { ...verify.init, body: JSON.stringify({ otpId: 'otp_0123456789', code: '123456' }) }, status: 200 }
  for (let round = 0; round < ROUNDS; round++) {
    baseline.push(await firstAnswer('test/bench/trivial-worker.ts', trivialBundle, { path: '/', status: 200 }))
    validator.push(await firstAnswer('test/bench/validator-worker.ts', validatorBundle, validated))
    ours.push(await firstAnswer('gateway/worker.ts', gatewayBundle, { path: '/livez', status: 200 }))
    api.push(await firstAnswer('gateway/worker.ts', gatewayBundle, verify))
  }
  const of = (runs: Run[], key: 'loadMs' | 'answerMs' | 'coldMs') => median(runs.map(run => (key === 'coldMs' ? run.loadMs + run.answerMs : run[key])))
  // On Workers a cold isolate loads the script for the request that wakes it: both count.
  const extra = of(ours, 'coldMs') - of(baseline, 'coldMs')
  console.log(
    `Workers gateway: bundle ${minified.toFixed(1)} KB gzipped (unminified ${plain.toFixed(1)} KB; trivial worker ${gzipKb(trivialBundle).toFixed(1)} KB)`
  )
  console.log(`  bundle / budget (${BUDGET_KB} KB): ${(minified / BUDGET_KB).toFixed(2)}  (goal < 1)`)
  console.log(
    `  workerd loading the script: trivial ${of(baseline, 'loadMs').toFixed(1)} ms, gateway ${of(ours, 'loadMs').toFixed(1)} ms (median of ${ROUNDS})`
  )
  console.log(`  first answer once listening: trivial ${of(baseline, 'answerMs').toFixed(1)} ms (baseline), gateway ${of(ours, 'answerMs').toFixed(1)} ms`)
  console.log(
    `  cold start (load + first answer) for /livez: trivial ${of(baseline, 'coldMs').toFixed(1)} ms (baseline), gateway ${of(ours, 'coldMs').toFixed(1)} ms: later by ${extra.toFixed(1)} ms, ratio ${(of(ours, 'coldMs') / of(baseline, 'coldMs')).toFixed(2)}  (goal: within 25 ms)`
  )
  console.log(
    `  cold start for a first POST /api/otp/verify (auth, the OTP routes' schemas, a 400): ${of(api, 'coldMs').toFixed(1)} ms, later by ${(of(api, 'coldMs') - of(baseline, 'coldMs')).toFixed(1)} ms`
  )
  console.log(
    `  the validator's floor (one route validated by @hono/zod-openapi, nothing else; ${gzipKb(validatorBundle).toFixed(1)} KB gzipped): ${of(validator, 'coldMs').toFixed(1)} ms, later by ${(of(validator, 'coldMs') - of(baseline, 'coldMs')).toFixed(1)} ms`
  )
}
