/** What linking a device ends with, for QR codes and pairing codes alike. */

export type LinkResult = { accountPn: string; lid: string; deviceId: number; jid: string }

/**
 * What a scan or a typed pairing code led to: a linked device; on the late-2026 server, a first
 * scan only makes the server refresh the QR's ADV secret (scan the refreshed QR again); and a
 * passkey-protected account gets a passkey request instead of a link.
 */
export type LinkOutcome = { kind: 'linked'; link: LinkResult } | { kind: 'refresh-requested' } | { kind: 'passkey-requested' }

/** The phone (or the server) refused to link: what a user sees as "couldn't link device". */
export class LinkRefusedError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'LinkRefusedError'
  }
}
