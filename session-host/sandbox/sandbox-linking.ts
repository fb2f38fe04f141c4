import type { Logger } from 'pino'
import type { PairingPhone } from '../sessions/session-manager.ts'

/** What the sandbox's phone does for a session of this host (Sandbox in this process, SharedSandbox at the fleet's home). */
export type SandboxPhone = {
  /** Scans a QR the session shows. */
  autoLink(sessionId: string, qr: string): Promise<void>
  /** Types a pairing code on the phone of `phoneNumber` (E.164 digits), which links the session as that number. */
  enterPairingCode(phoneNumber: string, code: string): Promise<void>
}

/**
 * How the sandbox links this host's sessions: its phone scans each QR as it appears, unless the
 * session asked for a pairing code, which the phone then types in, so the session links as the
 * number asked for. A request that comes while a scan is under way waits for it, and then finds
 * the session linked (409) instead of racing it on the same registration.
 */
export class SandboxLinking implements PairingPhone {
  /** Sessions linking by pairing code: their QRs are not scanned. */
  private readonly byCode = new Set<string>()
  /** The latest scan under way per session. */
  private readonly scans = new Map<string, Promise<void>>()

  constructor(
    private readonly phone: SandboxPhone,
    private readonly logger: Logger
  ) {}

  /** A session showed a QR. */
  onQr(sessionId: string, qr: string): void {
    if (this.byCode.has(sessionId)) return
    const scan: Promise<void> = this.phone.autoLink(sessionId, qr).finally(() => {
      if (this.scans.get(sessionId) === scan) this.scans.delete(sessionId)
    })
    this.scans.set(sessionId, scan)
  }

  async beforePairing(sessionId: string): Promise<void> {
    this.byCode.add(sessionId)
    // A scan that began first, and the one it may have asked for (a refreshed QR), end first.
    for (let scan = this.scans.get(sessionId); scan; scan = this.scans.get(sessionId)) await scan.catch(() => undefined)
  }

  codeIssued(sessionId: string, phoneNumber: string, code: string): void {
    // Linked or not, the session's next QRs are scanned again (after a logout, or if this failed).
    void this.phone
      .enterPairingCode(phoneNumber, code)
      .catch(error => this.logger.warn({ err: error, sessionId }, 'sandbox phone could not enter the pairing code'))
      .finally(() => this.byCode.delete(sessionId))
  }

  pairingFailed(sessionId: string): void {
    this.byCode.delete(sessionId)
  }
}
