import { join } from 'node:path'
import Database from 'better-sqlite3'
import { mintToken } from '../../gateway/auth/mint-token.ts'
import type { Scope } from '../../gateway/auth/scopes.ts'
import { WaSim } from '../../session-host/sim/index.ts'
import type { WaSimOptions } from '../../session-host/sim/index.ts'
import { recordCodesSent, recordSensitive } from './log-audit.ts'
import { publicApiCaller } from './api-envelope.ts'
import { linkSessionThroughApi } from './link-session.ts'
import { startProcesses } from './processes.ts'

/**
 * The gateway and the session host as separate processes (as `npm start` runs them), their real
 * Baileys sessions linked to the emulator running in this test process, and helpers to call the
 * public API. The host can be killed and started again on the same data folder.
 */
export const startProcessStack = async (
  env: Record<string, string> = {},
  simOptions: WaSimOptions = {},
  processOptions: Parameters<typeof startProcesses>[1] = {}
) => {
  const sim = new WaSim({ autoContacts: true, ...simOptions })
  const wsUrl = await sim.start()
  // Test webhook receivers listen on loopback.
  const processes = await startProcesses(
    { WA_MODE: 'live', WA_WEBSOCKET_URL: wsUrl, WA_NOISE_ROOT_KEY: sim.certRoot.toString('hex'), WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', ...env },
    processOptions
  )
  const otpMessageIds = new Set<string>()

  const token = async (scopes: string, extra: { sessions?: string[] } = {}) => {
    const minted = await mintToken({ secret: processes.env.JWT_SECRET!, scopes: scopes.split(' ') as Scope[], ttlSeconds: 900, ...extra })
    recordSensitive(minted)
    return minted
  }
  const admin = await token('admin')

  const call = publicApiCaller(processes.url, admin, otpMessageIds)
  const data = async <T>(path: string): Promise<T> => (await call('GET', path)).body.data as T

  const sessionStatus = async (sessionId: string) => (await data<{ status: string } | undefined>(`/api/sessions/${sessionId}/status`))?.status

  /** Creates a session through the API (with `extra` create fields) and links it with the emulator's phone. */
  const linkSession = (sessionId: string, accountPn: string, extra: Record<string, unknown> = {}) =>
    linkSessionThroughApi({ call, sim, adminToken: admin }, sessionId, accountPn, extra)

  /** A read-only look at the host's database, for what the API does not show (the webhook outbox). */
  const query = <T>(sql: string, ...params: unknown[]): T[] => {
    const db = new Database(join(processes.dataDir, 'host.db'), { readonly: true, fileMustExist: true })
    try {
      return db.prepare(sql).all(...params) as T[]
    } finally {
      db.close()
    }
  }

  const stop = async () => {
    // The log audit learns every code the gateway generated and the emulator's recipients read.
    recordCodesSent(sim.sent.filter(m => otpMessageIds.has(m.id)))
    await processes.stop()
    await sim.stop()
  }

  return { sim, processes, url: processes.url, admin, token, call, data, sessionStatus, linkSession, query, stop }
}

export type ProcessStack = Awaited<ReturnType<typeof startProcessStack>>
