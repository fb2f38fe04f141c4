import { benchRestart } from './restart.ts'
import { benchSends } from './sends.ts'
import { benchWorkers } from './workers.ts'
import { benchXeddsa } from './xeddsa.ts'

/**
 * `npm run bench`: each of issue 17's measurements beside its baseline from the same run. The OTP
 * verify benchmark (its own script, `otp-verify.ts`) first, then OTP sends to new numbers, XEdDSA verification, the Workers
 * bundle and cold start, and sessions linking and coming back after a host restart.
 * `BENCH_ONLY=verify,sends,xeddsa,workers,restart` picks some.
 */
const only = new Set((process.env.BENCH_ONLY ?? 'verify,sends,xeddsa,workers,restart').split(','))
if (only.has('verify')) {
  await import('./otp-verify.ts')
  console.log()
}
if (only.has('sends')) {
  await benchSends()
  console.log()
}
if (only.has('xeddsa')) {
  benchXeddsa()
  console.log()
}
if (only.has('workers')) {
  await benchWorkers()
  console.log()
}
if (only.has('restart')) await benchRestart()
