import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import pg from 'pg'
import { mintToken } from '../../gateway/auth/mint-token.ts'
import { WaSim } from '../../session-host/sim/index.ts'
import { publicApiCaller } from './api-envelope.ts'
import { linkSessionThroughApi } from './link-session.ts'
import { captureLog, recordCodesSent, recordSensitive } from './log-audit.ts'
import { exited, stopChild, stopChildren } from './child-exit.ts'
import { startPostgres } from './postgres.ts'
import { freePort, TEST_SECRETS, waitFor } from './processes.ts'

const ROOT = resolve(import.meta.dirname, '..', '..')

export type FleetHostProcess = { id: string; url: string; port: number; child: ChildProcess | undefined }

/**
 * A fleet as an operator runs one: a private PostgreSQL, `hosts` session-host processes sharing
 * it (each its own HOST_ID, port and data folder), one gateway whose HOST_URL lists them all, and
 * the emulator in this test process playing WhatsApp for every host. Hosts can be killed, stopped
 * (SIGSTOP) and resumed, started again, and added.
 */
export const startFleet = async ({ hosts: count, env: extraEnv = {} }: { hosts: number; env?: Record<string, string> }) => {
  const sim = new WaSim({ autoContacts: true })
  const wsUrl = await sim.start()
  const postgres = await startPostgres()
  const databaseUrl = await postgres.createDatabase('fleet')
  recordSensitive(databaseUrl, ...Object.values(TEST_SECRETS))
  const root = mkdtempSync(join(tmpdir(), 'fleet-'))
  const gatewayPort = await freePort()
  const base: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    ...TEST_SECRETS,
    LOG_LEVEL: 'info',
    WA_MODE: 'live',
    WA_WEBSOCKET_URL: wsUrl,
    WA_NOISE_ROOT_KEY: sim.certRoot.toString('hex'),
    DATABASE_URL: databaseUrl,
    GATEWAY_URL: `http://127.0.0.1:${gatewayPort}`,
    WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
    // Short leases so a crash moves sessions within seconds in the test.
    LEASE_MS: '3000',
    FLEET_TICK_MS: '500',
    ...extraEnv
  }
  const hosts: FleetHostProcess[] = []
  const gateway: { child?: ChildProcess } = {}
  const logs = new Map<string, string[]>()

  const spawnNode = (name: string, entry: string, env: Record<string, string>): ChildProcess => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, entry)], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    const lines = logs.get(name) ?? []
    logs.set(name, lines)
    for (const stream of [child.stdout, child.stderr])
      stream?.on('data', chunk => {
        lines.push(String(chunk))
        captureLog(String(chunk))
      })
    return child
  }

  const startHost = async (host: FleetHostProcess) => {
    host.child = spawnNode(host.id, 'session-host/main.ts', {
      ...base,
      HOST_ID: host.id,
      HOST_PORT: String(host.port),
      HOST_ADVERTISE_URL: host.url,
      DATA_DIR: join(root, host.id)
    })
    await waitFor(`${host.url}/health`)
  }
  /** Adds a host to the fleet (the gateway must list it: addHost before the gateway starts, or restartGateway). */
  const addHost = async (): Promise<FleetHostProcess> => {
    const port = await freePort()
    const host = { id: `host-${hosts.length + 1}`, port, url: `http://127.0.0.1:${port}`, child: undefined }
    hosts.push(host)
    await startHost(host)
    return host
  }
  const startGateway = async (reserve: FleetHostProcess[] = []) => {
    gateway.child = spawnNode('gateway', 'gateway/node.ts', {
      ...base,
      PORT: String(gatewayPort),
      DATA_DIR: join(root, 'gateway'),
      HOST_URL: [...hosts, ...reserve].map(host => host.url).join(',')
    })
    await waitFor(`http://127.0.0.1:${gatewayPort}/api/health`)
  }
  for (let i = 0; i < count; i++) await addHost()
  await startGateway()

  const url = `http://127.0.0.1:${gatewayPort}`
  const admin = await mintToken({ secret: TEST_SECRETS.JWT_SECRET, scopes: ['admin'], ttlSeconds: 3600 })
  recordSensitive(admin)
  const otpMessageIds = new Set<string>()
  const call = publicApiCaller(url, admin, otpMessageIds)
  const db = new pg.Pool({ connectionString: databaseUrl, max: 2 })
  db.on('error', () => {})

  return {
    sim,
    url,
    admin,
    hosts,
    call,
    /** Rows of the fleet's database, for what the API does not show. */
    query: async <T>(text: string, ...params: unknown[]): Promise<T[]> => (await db.query(text, params)).rows as T[],
    linkSession: (sessionId: string, accountPn: string, extra: Record<string, unknown> = {}) =>
      linkSessionThroughApi({ call, sim, adminToken: admin }, sessionId, accountPn, extra),
    /** The host holding each session now (current leases). */
    owners: async (): Promise<Map<string, string>> => {
      const rows = (await db.query(`SELECT session_id, owner FROM session_leases WHERE owner IS NOT NULL AND expires_at > now()`)).rows as {
        session_id: string
        owner: string
      }[]
      return new Map(rows.map(row => [row.session_id, row.owner]))
    },
    logsOf: (name: string): string => (logs.get(name) ?? []).join(''),
    signal: (host: FleetHostProcess, signal: NodeJS.Signals) => host.child?.kill(signal),
    kill: async (host: FleetHostProcess, signal: NodeJS.Signals = 'SIGKILL') => {
      host.child?.kill(signal)
      await exited(host.child)
    },
    startHost,
    addHost,
    restartGateway: async (reserve: FleetHostProcess[] = []) => {
      await stopChild('gateway', gateway.child)
      await startGateway(reserve)
    },
    stop: async () => {
      recordCodesSent(sim.sent.filter(m => otpMessageIds.has(m.id)))
      try {
        await stopChildren([['gateway', gateway.child], ...hosts.map(host => [host.id, host.child] as [string, ChildProcess | undefined])])
      } finally {
        await db.end()
        await sim.stop()
        await postgres.stop()
        rmSync(root, { recursive: true, force: true })
      }
    }
  }
}

export type Fleet = Awaited<ReturnType<typeof startFleet>>
