import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { mintToken } from '../gateway/auth/mint-token.ts'
import { supervise } from './supervisor.ts'
import type { SupervisedChild } from './supervisor.ts'

/**
 * `npm start`: runs the session host and the gateway as two processes on the embedded SQLite
 * default, restarting either when it dies (scripts/supervisor.ts) and ending only on a signal or
 * when one keeps failing right after it starts. In development it creates its secrets in the data
 * folder on first run (mode 0600); in production it refuses to start without configured secrets.
 * `npm start -- --hosts N` runs a local fleet instead: N hosts on DATABASE_URL's PostgreSQL (on
 * HOST_PORT, HOST_PORT+1, …; in sandbox mode sharing the first one's emulator) and the gateway.
 */
type Secrets = { jwtSecret: string; internalSecret: string; otpPepper: string }

const { values: args } = parseArgs({ options: { hosts: { type: 'string', default: '1' } } })
const hostCount = Number(args.hosts)
if (!Number.isInteger(hostCount) || hostCount < 1 || hostCount > 32) {
  console.error('--hosts takes a number of hosts from 1 to 32')
  process.exit(1)
}
const env = { ...process.env }
if (hostCount > 1 && !env.DATABASE_URL?.startsWith('postgres')) {
  console.error('--hosts needs DATABASE_URL=postgres://…: several hosts share one PostgreSQL (SQLite is one host’s own file)')
  process.exit(1)
}
const dataDir = resolve(env.DATA_DIR ?? './data')
const production = env.NODE_ENV === 'production'
const secretsFile = join(dataDir, 'secrets.json')

const loadOrCreateSecrets = (): { secrets: Secrets; created: boolean } => {
  if (existsSync(secretsFile)) return { secrets: JSON.parse(readFileSync(secretsFile, 'utf8')) as Secrets, created: false }
  mkdirSync(dataDir, { recursive: true })
  const secrets: Secrets = {
    jwtSecret: randomBytes(32).toString('base64url'),
    internalSecret: randomBytes(32).toString('base64url'),
    otpPepper: randomBytes(32).toString('base64url')
  }
  writeFileSync(secretsFile, JSON.stringify(secrets, null, 2), { mode: 0o600 })
  chmodSync(secretsFile, 0o600)
  return { secrets, created: true }
}

const missing = ['INTERNAL_SECRET', 'OTP_PEPPER'].filter(name => !env[name])
if (!env.JWT_SECRET && !env.JWT_JWKS_URL) missing.push('JWT_SECRET or JWT_JWKS_URL')
if (production && missing.length) {
  console.error(`Refusing to start in production without configured secrets: ${missing.join(', ')}`)
  process.exit(1)
}
const { secrets, created } = missing.length ? loadOrCreateSecrets() : { secrets: undefined, created: false }
env.DATA_DIR = dataDir
env.INTERNAL_SECRET ??= secrets?.internalSecret
env.OTP_PEPPER ??= secrets?.otpPepper
if (!env.JWT_JWKS_URL) env.JWT_SECRET ??= secrets?.jwtSecret
env.WA_MODE ??= 'live'
const gatewayPort = Number(env.PORT ?? 3000)
const hostPort = Number(env.HOST_PORT ?? 3001)
env.HOST_PORT = String(hostPort)
const gatewayUrl = `http://127.0.0.1:${gatewayPort}`
const hosts = Array.from({ length: hostCount }, (_, i) => ({ id: `host-${i + 1}`, port: hostPort + i, url: `http://127.0.0.1:${hostPort + i}` }))
const hostUrl = hosts[0]!.url
env.HOST_URL ??= hosts.map(host => host.url).join(',')
// The host hands webhook deliveries to the gateway, which signs and sends them.
env.GATEWAY_URL ??= gatewayUrl
// Ends every wait below at once when we stop, by a signal or because a child keeps failing.
const stopping = new AbortController()
const STOP_GRACE_MS = 12_000

const supervised: SupervisedChild[] = []
const run = (name: string, entry: string, own: Record<string, string> = {}): void => {
  if (stopping.signal.aborted) return
  supervised.push(
    supervise({
      name,
      // stderr is piped so that a child we give up on can be reported with its last error.
      spawnChild: () =>
        spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '..', entry)], {
          env: { ...env, ...own },
          stdio: ['inherit', 'inherit', 'pipe']
        }),
      onGiveUp: () => void shutdown(1)
    })
  )
}

/** Stops the children in reverse order of start, then exits with `exitCode` (1 if one had to be killed). */
const shutdown = async (exitCode: number): Promise<void> => {
  if (stopping.signal.aborted) return
  stopping.abort()
  let clean = true
  for (const child of [...supervised].reverse()) clean = (await child.stop(STOP_GRACE_MS)) && clean
  process.exit(clean ? exitCode : exitCode || 1)
}
for (const signal of ['SIGTERM', 'SIGINT'] as const)
  process.on(signal, () => {
    if (!stopping.signal.aborted) console.error(`received ${signal}, stopping`)
    void shutdown(0)
  })

/** Polls `url` until it answers 2xx (true), or false after 30 s or once we are stopping. */
const waitUntilUp = async (url: string): Promise<boolean> => {
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline && !stopping.signal.aborted) {
    // Each attempt is bounded: whatever else holds the port may accept and never answer.
    const signal = AbortSignal.any([stopping.signal, AbortSignal.timeout(1_000)])
    if (
      await fetch(url, { signal }).then(
        r => r.ok,
        () => false
      )
    )
      return true
    await new Promise(r => setTimeout(r, 100))
  }
  return false
}

/**
 * In development, a newcomer gets a session to link right away: on an empty data folder the
 * `default` session is created, and each session still waiting for its phone gets a QR page link.
 * In sandbox mode no phone is waited for (the emulator links every session by itself): it says so.
 */
const printQrPageLinks = async (secret: string, sandbox: boolean): Promise<void> => {
  const token = await mintToken({ secret, scopes: ['sessions:read', 'sessions:write'], ttlSeconds: 60, subject: 'npm-start' })
  const api = async <T>(method: string, path: string, body?: unknown) => {
    const response = await fetch(`${gatewayUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    })
    return ((await response.json()) as { data: T }).data
  }
  let { sessions } = await api<{ sessions: { sessionId: string; status: string }[] }>('GET', '/api/sessions')
  if (sessions.length === 0) sessions = [await api<{ sessionId: string; status: string }>('POST', '/api/sessions/create', { sessionId: 'default' })]
  if (sandbox) {
    console.log(`Sandbox sessions (they link to the emulator by themselves): ${sessions.map(s => s.sessionId).join(', ')}`)
    return
  }
  for (const session of sessions.filter(s => s.status !== 'connected' && s.status !== 'logged_out')) {
    const link = await api<{ url: string }>('POST', `/api/sessions/${session.sessionId}/qr-link`)
    console.log(`Link session "${session.sessionId}" (QR page, valid 10 minutes): ${link.url}`)
  }
}

/**
 * The host first, the gateway once the host answers. Only this first start waits: later restarts
 * of either are independent, as the gateway answers 502 HOST_UNAVAILABLE while the host is down.
 */
const start = async (): Promise<void> => {
  for (const [index, host] of hosts.entries()) {
    const own =
      hostCount === 1
        ? {}
        : {
            HOST_ID: host.id,
            HOST_PORT: String(host.port),
            HOST_ADVERTISE_URL: host.url,
            // One emulator for the whole fleet, as one WhatsApp: the first host runs it.
            ...(env.WA_MODE === 'sandbox' && index > 0 ? { SANDBOX_HOME_URL: hostUrl } : {})
          }
    run(hostCount === 1 ? 'session host' : `session host ${host.id}`, 'session-host/main.ts', own)
    if (!(await waitUntilUp(`${host.url}/health`))) {
      if (!stopping.signal.aborted) {
        console.error(`session host ${host.id} did not answer /health within 30 s; stopping`)
        void shutdown(1)
      }
      return
    }
  }
  run('gateway', 'gateway/node.ts')

  if (!production && created && env.JWT_SECRET) {
    const token = await mintToken({ secret: env.JWT_SECRET, scopes: ['admin'], ttlSeconds: 30 * 24 * 3600, subject: 'first-run-admin' })
    console.log(`\nSecrets created in ${secretsFile} (mode 0600).\nAdmin token (30 days):\n${token}\n`)
  }
  if (await waitUntilUp(`${gatewayUrl}/api/health`)) {
    console.log(`Gateway: ${gatewayUrl}/api/docs${env.WA_MODE === 'sandbox' ? '   (SANDBOX MODE: nothing is sent to WhatsApp)' : ''}`)
    if (!production && env.JWT_SECRET)
      await printQrPageLinks(env.JWT_SECRET, env.WA_MODE === 'sandbox').catch(error =>
        console.error(`Could not prepare a QR page link: ${error instanceof Error ? error.message : error}`)
      )
  }
}
await start()
