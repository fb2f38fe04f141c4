import type { Logger } from 'pino'
import type { z } from 'zod'
import { SANDBOX_ROUTES } from '../../shared/host-api/sandbox.ts'
import type { SandboxEmulatorAnswer } from '../../shared/host-api/sandbox.ts'
import { signRequest } from '../../shared/internal-signing.ts'
import type { SigningSecret } from '../../shared/internal-signing.ts'
import { baileysTrustConfig, makeTrustingAgents } from '../sim/index.ts'
import type { TrustingAgents } from '../sim/index.ts'
import { trustNoiseRoot } from '../sessions/noise-root.ts'

/** How long a host waits at start for the host that runs the fleet's emulator. */
const HOME_WAIT_MS = 30_000

/**
 * A sandbox fleet shares one emulator, as a real fleet shares WhatsApp: it runs in one host (the
 * sandbox's home, SANDBOX_HOME_URL), and the others connect their sessions to it, have its phone
 * scan their QRs, and hand it the read-back and inbound requests (signed like the gateway's).
 */
export class SharedSandbox {
  private wsUrl?: string
  private agents?: TrustingAgents

  constructor(
    private readonly home: string,
    private readonly secret: SigningSecret,
    private readonly logger: Logger
  ) {}

  async start(): Promise<void> {
    const deadline = Date.now() + HOME_WAIT_MS
    for (;;) {
      try {
        const { wsUrl, caPem, noiseRootKey } = await this.call<Partial<z.infer<typeof SandboxEmulatorAnswer>>>('GET', SANDBOX_ROUTES.emulator.path({}))
        if (!wsUrl || !caPem) throw new Error('the answer names no emulator')
        // A home host from before noise roots were shared names none; its chain then passes as before.
        if (noiseRootKey) trustNoiseRoot(Buffer.from(noiseRootKey, 'hex'))
        this.wsUrl = wsUrl
        this.agents = makeTrustingAgents(caPem)
        this.logger.warn({ home: this.home }, "SANDBOX MODE: sessions link to the fleet's emulator; no real message is sent")
        return
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`the sandbox's home host did not answer at ${this.home}: ${String(error)}`)
        await new Promise(resolve => setTimeout(resolve, 250))
      }
    }
  }

  socketConfig() {
    if (!this.wsUrl || !this.agents) throw new Error('sandbox not started')
    return { waWebSocketUrl: this.wsUrl, ...baileysTrustConfig(this.agents) }
  }

  async autoLink(sessionId: string, qr: string): Promise<void> {
    await this.call('POST', SANDBOX_ROUTES.scan.path({}), { sessionId, qr }).catch(error =>
      this.logger.debug({ err: error, sessionId }, 'sandbox QR scan skipped')
    )
  }

  async enterPairingCode(phoneNumber: string, code: string): Promise<void> {
    await this.call('POST', SANDBOX_ROUTES.enterPairingCode.path({}), { phoneNumber, code })
  }

  /** Hands a sandbox request to the home host as it came, and its answer back as it went. */
  async forward(method: string, pathWithQuery: string, body: string | undefined): Promise<Response> {
    const headers = await signRequest({ secret: this.secret, method, pathWithQuery, body })
    const answer = await fetch(new URL(pathWithQuery, this.home), {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body })
    })
    return new Response(await answer.arrayBuffer(), { status: answer.status, headers: { 'content-type': 'application/json' } })
  }

  async stop(): Promise<void> {
    await this.agents?.close()
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.forward(method, path, body === undefined ? undefined : JSON.stringify(body))
    const envelope = (await response.json()) as { success: boolean; data: T; error?: { code: string } }
    if (!envelope.success) throw new Error(`the sandbox's home host answered ${envelope.error?.code ?? response.status}`)
    return envelope.data
  }
}
