import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { Agent, request } from 'undici'
import { mintToken } from '../../gateway/auth/mint-token.ts'
import { WaSim } from '../../session-host/sim/index.ts'
import { startProcesses } from '../support/processes.ts'

/**
 * `npm run bench`: OTP-verify throughput and latency through gateway and host (two processes,
 * JWT, signed internal HTTP, SQLite), beside a bare Hono route measured in the same run.
 */
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 3000)
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16)

type Result = { rps: number; p50: number; p99: number }

const measure = async (url: string, headers: Record<string, string>, body: string): Promise<Result> => {
  const dispatcher = new Agent({ connections: CONCURRENCY, keepAliveTimeout: 10_000 })
  const latencies: number[] = []
  let next = 0
  const worker = async () => {
    while (next < REQUESTS) {
      next++
      const started = performance.now()
      const response = await request(url, { method: 'POST', headers, body, dispatcher })
      await response.body.arrayBuffer()
      if (response.statusCode !== 200) throw new Error(`${url} answered ${response.statusCode}`)
      latencies.push(performance.now() - started)
    }
  }
  // Warm up connections and JIT before measuring.
  for (let i = 0; i < 200; i++) await (await request(url, { method: 'POST', headers, body, dispatcher })).body.arrayBuffer()
  const started = performance.now()
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  const seconds = (performance.now() - started) / 1000
  await dispatcher.close()
  latencies.sort((a, b) => a - b)
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!
  return { rps: latencies.length / seconds, p50: at(0.5), p99: at(0.99) }
}

const sim = new WaSim({ autoContacts: true })
const stack = await startProcesses({ WA_MODE: 'live', WA_WEBSOCKET_URL: await sim.start(), LOG_LEVEL: 'warn' })
const bare = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'bare-hono.ts')], { stdio: ['ignore', 'pipe', 'inherit'] })
try {
  const token = await mintToken({ secret: stack.env.JWT_SECRET!, scopes: ['admin'], ttlSeconds: 600 })
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
  const post = (path: string, body: unknown) => fetch(`${stack.url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) }).then(r => r.json() as Promise<{ data: Record<string, string> }>)
  await post('/api/sessions/create', { sessionId: 'bench' })
  for (let linked = false; !linked; await new Promise(r => setTimeout(r, 50))) {
    const qr = await fetch(`${stack.url}/api/sessions/bench/qr`, { headers }).then(r => (r.ok ? (r.json() as Promise<{ data: { qr: string } }>) : undefined))
    if (qr) linked = Boolean(await sim.scanQr(qr.data.qr, { accountPn: '6281200009999' }))
  }
  for (let status = ''; status !== 'connected'; await new Promise(r => setTimeout(r, 50))) {
    status = ((await fetch(`${stack.url}/api/sessions/bench/status`, { headers }).then(r => r.json())) as { data: { status: string } }).data.status
  }
  const otp = await post('/api/messages/bench/otp', { to: '081234567899' })
  const sent = await sim.waitForSent(m => m.id === otp.data.messageId)
  const code = /\b(\d{6})\b/.exec(sent.decrypted.find(c => c.jid.startsWith('6281234567899'))?.message.extendedTextMessage?.text ?? '')?.[1] ?? ''
  await post('/api/otp/verify', { otpId: otp.data.otpId, code })

  const [line] = (await once(bare.stdout!, 'data')) as [Buffer]
  const barePort = (JSON.parse(String(line).split('\n')[0]!) as { port: number }).port
  const body = JSON.stringify({ otpId: otp.data.otpId, code })
  const baseline = await measure(`http://127.0.0.1:${barePort}/verify`, { 'content-type': 'application/json' }, body)
  // Every request runs the whole path: JWT, host lookup, keyed hash, atomic UPDATE (the OTP is already approved).
  const gateway = await measure(`${stack.url}/api/otp/verify`, headers, body)
  const row = (name: string, r: Result) => `${name.padEnd(28)} ${r.rps.toFixed(0).padStart(8)} req/s   p50 ${r.p50.toFixed(2).padStart(7)} ms   p99 ${r.p99.toFixed(2).padStart(7)} ms`
  console.log(`OTP verify benchmark: ${REQUESTS} requests, concurrency ${CONCURRENCY}`)
  console.log(row('bare Hono route (baseline)', baseline))
  console.log(row('gateway + host OTP verify', gateway))
  console.log(`ratio (gateway / baseline): throughput ${(gateway.rps / baseline.rps).toFixed(3)}, p50 ${(baseline.p50 / gateway.p50).toFixed(3)}`)
} finally {
  bare.kill('SIGTERM')
  await stack.stop()
  await sim.stop()
}
