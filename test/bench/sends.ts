import { fork } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ChildProcess } from 'node:child_process'
import pino from 'pino'
import { mintToken } from '../../gateway/auth/mint-token.ts'
import { containLibsignalConsole } from '../../session-host/libsignal-console.ts'
import { WaSim } from '../../session-host/sim/index.ts'
import { publicApiCaller } from '../support/api-envelope.ts'
import type { Call } from '../support/api-envelope.ts'
import { linkSessionThroughApi } from '../support/link-session.ts'
import { startProcesses } from '../support/processes.ts'
import type { StackProcesses } from '../support/processes.ts'
import { until } from '../support/until.ts'
import { cpuProfileArgs, processCpuMs, stackCpuMs } from './process-cpu.ts'

/**
 * OTP sends to new numbers (issue 17, goal 2): the host against a bare Baileys loop
 * (bare-baileys-loop.ts, its own process) on the same emulator in the same run, once with the
 * emulator in this process (host and loop alike reach it over loopback), once in sandbox mode (the
 * emulator inside the host, and inside the loop's process). Every send goes to a number nobody
 * wrote to before, so each one sets up a Signal session. A batch counts as done when the emulator's
 * recipients decrypted its last message (sandbox host: when the API says its last message is sent).
 * BENCH_SENDS sets the batch size; BENCH_PROFILE=<dir> writes CPU profiles of the host (`sends-host`,
 * `sandbox-host`).
 */
const SENDS = Number(process.env.BENCH_SENDS ?? 200)
const WARMUP = 20
/** API calls in flight while the host's batch is accepted (the host still sends one at a time). */
const CLIENTS = 8
const PROFILE_DIR = process.env.BENCH_PROFILE
const TEXT = 'Your Our service verification code is 123456. It expires in 10 minutes. Do not share this code with anyone.'

type Measured = { perSecond: number; cpuMsPerSend: Record<string, number> }

/** New numbers (Indonesian mobiles), a different block for every batch of the run. */
let block = 100
const newNumbers = (count: number): string[] => {
  block++
  // The last four digits never end in 0000/0001/0408/0463, the emulator's test numbers.
  return Array.from({ length: count }, (_, i) => `62812${block}${String(i * 10 + 2).padStart(5, '0')}`)
}

type LoopMessage = { qr?: string; open?: true; sent?: number; ms?: number; cpuMs?: number }
const startLoop = async (env: Record<string, string>) => {
  const child = fork(join(import.meta.dirname, 'bare-baileys-loop.ts'), { execArgv: ['--import', 'tsx'], env: { ...process.env, ...env }, stdio: 'inherit' })
  const qrs: string[] = []
  child.on('message', (message: LoopMessage) => {
    if (message.qr) qrs.push(message.qr)
  })
  const open = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the bare loop did not link within 90 s')), 90_000)
    child.on('message', (message: LoopMessage) => message.open && (clearTimeout(timer), resolve()))
    child.on('exit', code => (clearTimeout(timer), reject(new Error(`the bare loop exited (${code})`))))
  })
  const batch = async (numbers: string[]): Promise<LoopMessage> => {
    child.send({ send: { numbers, text: TEXT } })
    for (;;) {
      const [message] = (await once(child, 'message')) as [LoopMessage]
      if (message.sent !== undefined) return message
    }
  }
  return { child, qrs, open, batch }
}
const stopLoop = async (child: ChildProcess) => {
  child.disconnect()
  if (child.exitCode === null) await once(child, 'exit')
}

/** Resolves once the emulator's recipients decrypted `count` messages `accountPn` sent after `from`. */
const decrypted = (sim: WaSim, accountPn: string, from: number, count: number) =>
  until(
    async () => (sim.sent.slice(from).filter(m => m.accountPn === accountPn && m.decrypted.length > 0).length >= count ? true : undefined),
    'the batch decrypted',
    {
      timeoutMs: 300_000,
      everyMs: 5
    }
  )

/** Records a measured span for profile-summary.ts (µs of the monotonic clock, as V8's profiles use). */
const monotonicUs = () => Number(process.hrtime.bigint() / 1000n)
const recordWindow = (names: string[], start: number, requests: number) => {
  if (!PROFILE_DIR) return
  mkdirSync(PROFILE_DIR, { recursive: true })
  const file = join(PROFILE_DIR, 'windows.json')
  const windows = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {}
  for (const name of names) windows[name] = { start, end: monotonicUs(), requests }
  writeFileSync(file, JSON.stringify(windows))
}

/** Posts one OTP per number, CLIENTS at a time; resolves with the message ids in the order posted. */
const postOtps = async (call: (method: string, path: string, init: { body: unknown }) => Promise<Call>, sessionId: string, numbers: string[]) => {
  const ids: string[] = []
  let next = 0
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (next < numbers.length) {
        const index = next++
        const answer = await call('POST', `/api/messages/${sessionId}/otp`, { body: { to: numbers[index] } })
        const messageId = (answer.body.data as { messageId?: string } | undefined)?.messageId
        if (answer.status !== 201 || !messageId) throw new Error(`OTP send refused: ${answer.status} ${answer.body?.error?.code}`)
        ids[index] = messageId
      }
    })
  )
  return ids
}

const perSend = (before: Record<string, number>, after: Record<string, number>, sends: number) =>
  Object.fromEntries(Object.keys(before).map(name => [name, (after[name]! - before[name]!) / sends]))

/** What the idle host spends per second (its timers and polls), measured before the batch. */
let idleHostCpuMsPerSecond = 0

/** One measured batch of SENDS through the API: rate, CPU per send, and its window in the profiles (`<profile>-host`, `<profile>-gateway`). */
const measureHostBatch = async (processes: StackProcesses, hostBatch: (numbers: string[]) => Promise<void>, profile: string): Promise<Measured> => {
  const started = performance.now()
  const windowStart = monotonicUs()
  const cpuBefore = stackCpuMs(processes)
  await hostBatch(newNumbers(SENDS))
  const host: Measured = { perSecond: SENDS / ((performance.now() - started) / 1000), cpuMsPerSend: perSend(cpuBefore, stackCpuMs(processes), SENDS) }
  recordWindow([`${profile}-host`, `${profile}-gateway`], windowStart, SENDS)
  return host
}

/** The emulator in this process: the bare loop and the host each reach it over loopback. */
const ownProcess = async (): Promise<{ bare: Measured; host: Measured }> => {
  const sim = new WaSim({ autoContacts: true })
  const url = await sim.start()
  const loop = await startLoop({ SIM_URL: url, ACCOUNT_PN: '6281100000001' })
  let processes: StackProcesses | undefined
  try {
    const qrAt = (qrs: string[]) => async () => qrs.at(-1)
    await sim.linkWithQr(qrAt(loop.qrs), { accountPn: '6281100000001', timeoutMs: 60_000 })
    await loop.open
    const bareBatch = async (numbers: string[]) => {
      const from = sim.sent.length
      await loop.batch(numbers)
      await decrypted(sim, '6281100000001', from, numbers.length)
    }
    await bareBatch(newNumbers(WARMUP))
    const bareStarted = performance.now()
    const bareCpu = processCpuMs(loop.child.pid)
    await bareBatch(newNumbers(SENDS))
    const bare: Measured = {
      perSecond: SENDS / ((performance.now() - bareStarted) / 1000),
      cpuMsPerSend: { loop: (processCpuMs(loop.child.pid) - bareCpu) / SENDS }
    }
    await stopLoop(loop.child)

    processes = await startProcesses(
      { WA_MODE: 'live', WA_WEBSOCKET_URL: url, WA_NOISE_ROOT_KEY: sim.certRoot.toString('hex'), LOG_LEVEL: 'warn', SEND_GOVERNOR: 'off' },
      { nodeArgs: name => cpuProfileArgs(`sends-${name}`) }
    )
    const admin = await mintToken({ secret: processes.env.JWT_SECRET!, scopes: ['admin'], ttlSeconds: 900 })
    const call = publicApiCaller(processes.url, admin, new Set())
    await linkSessionThroughApi({ call, sim, adminToken: admin }, 'sends', '6281100000002')
    const hostBatch = async (numbers: string[]) => {
      const from = sim.sent.length
      await postOtps(call, 'sends', numbers)
      await decrypted(sim, '6281100000002', from, numbers.length)
    }
    await hostBatch(newNumbers(WARMUP))
    const idleBefore = stackCpuMs(processes)
    const idleStart = monotonicUs()
    await new Promise(resolve => setTimeout(resolve, 2_000))
    idleHostCpuMsPerSecond = (stackCpuMs(processes).host - idleBefore.host) / 2
    recordWindow(['sends-host-idle'], idleStart, 2)
    return { bare, host: await measureHostBatch(processes, hostBatch, 'sends') }
  } finally {
    if (loop.child.connected) await stopLoop(loop.child)
    await processes?.stop()
    await sim.stop()
  }
}

/** Sandbox mode: the emulator inside the host, and inside the bare loop's process. */
const sandbox = async (): Promise<{ bare: Measured; host: Measured }> => {
  const loop = await startLoop({})
  let processes: StackProcesses | undefined
  try {
    await loop.open
    await loop.batch(newNumbers(WARMUP))
    const answer = await loop.batch(newNumbers(SENDS))
    const bare: Measured = { perSecond: SENDS / (answer.ms! / 1000), cpuMsPerSend: { loop: answer.cpuMs! / SENDS } }
    await stopLoop(loop.child)

    processes = await startProcesses({ WA_MODE: 'sandbox', LOG_LEVEL: 'warn', SEND_GOVERNOR: 'off' }, { nodeArgs: name => cpuProfileArgs(`sandbox-${name}`) })
    const admin = await mintToken({ secret: processes.env.JWT_SECRET!, scopes: ['admin'], ttlSeconds: 900 })
    const call = publicApiCaller(processes.url, admin, new Set())
    await call('POST', '/api/sessions/create', { body: { sessionId: 'sends' } })
    const statusOf = async (path: string) => ((await call('GET', path, {})).body.data as { status?: string } | undefined)?.status
    await until(async () => ((await statusOf('/api/sessions/sends/status')) === 'connected' ? true : undefined), 'the sandbox session connected', {
      timeoutMs: 60_000
    })
    // The host sends one at a time in the order accepted: the batch is out once each message is sent.
    const hostBatch = async (numbers: string[]) => {
      const ids = await postOtps(call, 'sends', numbers)
      for (const id of ids)
        await until(async () => (['sent', 'delivered', 'read'].includes((await statusOf(`/api/messages/sends/${id}`)) ?? '') ? true : undefined), 'sent', {
          timeoutMs: 300_000,
          everyMs: 20
        })
    }
    await hostBatch(newNumbers(WARMUP))
    return { bare, host: await measureHostBatch(processes, hostBatch, 'sandbox') }
  } finally {
    if (loop.child.connected) await stopLoop(loop.child)
    await processes?.stop()
  }
}

const row = (name: string, m: Measured) =>
  `  ${name.padEnd(34)} ${m.perSecond.toFixed(1).padStart(6)} sends/s   CPU ms/send: ${Object.entries(m.cpuMsPerSend)
    .map(([process, ms]) => `${process} ${ms.toFixed(2)}`)
    .join(', ')}`

export const benchSends = async () => {
  // The emulator here runs libsignal too, which prints whole session records.
  containLibsignalConsole(pino({ level: 'silent' }))
  console.log(`OTP sends to new numbers: ${SENDS} per batch after ${WARMUP} unmeasured, one session, the send governor off`)
  const own = await ownProcess()
  console.log('Emulator in its own process:')
  console.log(row('bare Baileys loop (baseline)', own.bare))
  console.log(row('host (OTP API, gateway + host)', own.host))
  console.log(
    `  ratio ${(own.host.perSecond / own.bare.perSecond).toFixed(3)}  (goal ≥ 0.95); host CPU ${own.host.cpuMsPerSend.host!.toFixed(2)} ms per OTP send  (goal ≤ 3 ms)`
  )
  console.log(`  the idle host, before the batch: ${idleHostCpuMsPerSecond.toFixed(1)} ms of CPU per second`)
  if (process.env.BENCH_SENDS_SANDBOX === 'off') return
  const box = await sandbox()
  console.log('Sandbox (the emulator inside the process):')
  console.log(row('bare Baileys loop (baseline)', box.bare))
  console.log(row('host (OTP API, gateway + host)', box.host))
  console.log(`  ratio ${(box.host.perSecond / box.bare.perSecond).toFixed(3)}  (goal ≥ 0.9)`)
}
