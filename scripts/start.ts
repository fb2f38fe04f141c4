import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { mintToken } from '../gateway/auth/mint-token.ts'

/**
 * `npm start`: runs the session host and the gateway as two processes on the embedded SQLite
 * default. In development it creates its secrets in the data folder on first run (mode 0600);
 * in production it refuses to start without configured secrets.
 */
type Secrets = { jwtSecret: string; internalSecret: string; otpPepper: string }

const env = { ...process.env }
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
env.HOST_URL ??= `http://127.0.0.1:${hostPort}`
// The host hands webhook deliveries to the gateway, which signs and sends them.
env.GATEWAY_URL ??= `http://127.0.0.1:${gatewayPort}`

const children: ChildProcess[] = []
const run = (entry: string, name: string): ChildProcess => {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], { env, stdio: 'inherit' })
  child.on('exit', code => {
    if (!stopping) {
      console.error(`${name} exited (${code ?? 'signal'}); stopping`)
      shutdown('child-exit', code ?? 1)
    }
  })
  children.push(child)
  return child
}

let stopping = false
const shutdown = (signal: string, exitCode = 0) => {
  stopping = true
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM')
  Promise.all(children.map(child => (child.exitCode === null ? new Promise(r => child.once('exit', r)) : undefined))).then(() => process.exit(exitCode))
  setTimeout(() => process.exit(exitCode || 1), 12_000).unref()
  if (signal !== 'child-exit') console.error(`received ${signal}, stopping`)
}
process.on('SIGTERM', () => shutdown('SIGTERM'))
process.on('SIGINT', () => shutdown('SIGINT'))

const waitForHost = async (): Promise<void> => {
  for (let i = 0; i < 300; i++) {
    const up = await fetch(`http://127.0.0.1:${hostPort}/health`).then(r => r.ok, () => false)
    if (up) return
    await new Promise(r => setTimeout(r, 100))
  }
  throw new Error('session host did not start')
}

run(join(import.meta.dirname, '..', 'session-host', 'main.ts'), 'session host')
await waitForHost()
run(join(import.meta.dirname, '..', 'gateway', 'node.ts'), 'gateway')

const gatewayUrl = `http://127.0.0.1:${gatewayPort}`
const waitForGateway = async (): Promise<boolean> => {
  for (let i = 0; i < 300; i++) {
    if (await fetch(`${gatewayUrl}/api/health`).then(r => r.ok, () => false)) return true
    await new Promise(r => setTimeout(r, 100))
  }
  return false
}

/**
 * In development, a newcomer gets a session to link right away: on an empty data folder the
 * `default` session is created, and each session still waiting for its phone gets a QR page link.
 */
const printQrPageLinks = async (secret: string): Promise<void> => {
  const token = await mintToken({ secret, scopes: ['sessions:read', 'sessions:write'], ttlSeconds: 60, subject: 'npm-start' })
  const api = async <T>(method: string, path: string, body?: unknown) => {
    const response = await fetch(`${gatewayUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    })
    return ((await response.json()) as { data: T }).data
  }
  let sessions = await api<{ sessionId: string; status: string }[]>('GET', '/api/sessions')
  if (sessions.length === 0) sessions = [await api<{ sessionId: string; status: string }>('POST', '/api/sessions/create', { sessionId: 'default' })]
  for (const session of sessions.filter(s => s.status !== 'connected' && s.status !== 'logged_out')) {
    const link = await api<{ url: string }>('POST', `/api/sessions/${session.sessionId}/qr-link`)
    console.log(`Link session "${session.sessionId}" (QR page, valid 10 minutes): ${link.url}`)
  }
}

if (!production && created && env.JWT_SECRET) {
  const token = await mintToken({ secret: env.JWT_SECRET, scopes: ['admin'], ttlSeconds: 30 * 24 * 3600, subject: 'first-run-admin' })
  console.log(`\nSecrets created in ${secretsFile} (mode 0600).\nAdmin token (30 days):\n${token}\n`)
}
if (await waitForGateway()) {
  console.log(`Gateway: ${gatewayUrl}/api/docs${env.WA_MODE === 'sandbox' ? '   (SANDBOX MODE: nothing is sent to WhatsApp)' : ''}`)
  if (!production && env.JWT_SECRET) await printQrPageLinks(env.JWT_SECRET).catch(error => console.error(`Could not prepare a QR page link: ${error instanceof Error ? error.message : error}`))
}
