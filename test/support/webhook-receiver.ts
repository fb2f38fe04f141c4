import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Webhook } from 'standardwebhooks'

export type ReceivedWebhook = { id: string; type: string; timestamp: string; data: Record<string, unknown> }

/**
 * A webhook receiver as a customer would write it, on the off-the-shelf `standardwebhooks`
 * package: it verifies each request and answers 401 to one that fails. `down` makes it answer 503,
 * `delayMs` makes it answer late.
 */
export const startWebhookReceiver = async () => {
  let secret: string | undefined
  const state = {
    down: false,
    delayMs: 0,
    verified: [] as ReceivedWebhook[],
    refused: 0,
    attempts: 0,
    lastRaw: undefined as { body: string; headers: Record<string, string> } | undefined
  }
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', chunk => chunks.push(chunk))
    req.on('end', async () => {
      state.attempts++
      // A slow receiver keeps deliveries in flight longer.
      if (state.delayMs > 0) await new Promise(resolve => setTimeout(resolve, state.delayMs))
      if (state.down) {
        res.statusCode = 503
        return res.end()
      }
      const body = Buffer.concat(chunks).toString('utf8')
      try {
        if (!secret) throw new Error('no secret yet')
        const payload = new Webhook(secret).verify(body, req.headers as Record<string, string>) as Omit<ReceivedWebhook, 'id'>
        state.verified.push({ id: String(req.headers['webhook-id']), ...payload })
        state.lastRaw = { body, headers: req.headers as Record<string, string> }
        res.statusCode = 204
      } catch {
        state.refused++
        res.statusCode = 401
      }
      res.end()
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`

  const waitFor = async <T>(find: (received: ReceivedWebhook[]) => T | undefined, what: string, timeoutMs = 20_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      const found = find(state.verified)
      if (found !== undefined && found !== false) return found
      await new Promise(resolve => setTimeout(resolve, 20))
    }
    throw new Error(`timed out waiting for ${what}`)
  }

  return {
    url,
    state,
    setSecret: (value: string) => (secret = value),
    waitFor,
    stop: () =>
      new Promise<void>(resolve => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}
