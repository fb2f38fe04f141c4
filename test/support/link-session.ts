import type { WaSim } from '../../session-host/sim/index.ts'
import type { Call } from './api-envelope.ts'
import { until } from './until.ts'

type CallApi = (method: string, path: string, init: { token?: string; body?: unknown }) => Promise<Call>

/**
 * Creates a session through the public API (with `extra` create fields), lets the emulator's phone
 * scan its QR as a user would (again after WhatsApp rotates it), and waits until the API says
 * `connected`. Every stack (in-process, processes) links this one way.
 */
export const linkSessionThroughApi = async (
  { call, sim, adminToken }: { call: CallApi; sim: WaSim; adminToken: string },
  sessionId: string,
  accountPn: string,
  extra: Record<string, unknown> = {}
): Promise<unknown> => {
  const created = await call('POST', '/api/sessions/create', { token: adminToken, body: { sessionId, ...extra } })
  if (created.status !== 201) throw new Error(`create failed: ${created.status} ${created.body?.error?.code}`)
  await sim.linkWithQr(
    async () => {
      const response = await call('GET', `/api/sessions/${sessionId}/qr`, { token: adminToken })
      return response.status === 200 ? (response.body.data as { qr: string }).qr : undefined
    },
    { accountPn }
  )
  const connected = async () =>
    ((await call('GET', `/api/sessions/${sessionId}/status`, { token: adminToken })).body.data as { status?: string } | undefined)?.status === 'connected'
  await until(async () => ((await connected()) ? true : undefined), `${sessionId} connected`)
  return created.body.data
}
