export type LivenessSettings = {
  /** A send unacked, or a probe unanswered, this long means the connection is half-dead; 0 turns the watchdog off. */
  timeoutMs: number
  /** A connection that showed no sign of life (an ack, a probe's answer) for this long is probed. */
  probeMs: number
}

/** What the watchdog does next: close the connection, ask the server something, or nothing yet. */
export type LivenessVerdict = { act: 'trip'; waited: 'ack' | 'probe'; forMs: number } | { act: 'probe' } | { act: 'wait' }

/** Acks of sends the ledger was not told about yet (or never will be: Baileys' own): a few are enough. */
const EARLY_ACKS_KEPT = 64

/**
 * What the watchdog knows of one connection, with the time passed in: the sends that wait for
 * their ack, the probe in flight, the last sign of life. It decides; the watchdog acts.
 */
export class LivenessLedger {
  private readonly unacked = new Map<string, number>()
  /** An ack can be read before the send that caused it has returned to its caller. */
  private readonly earlyAcks = new Set<string>()
  private probeSince: number | undefined
  private aliveAt: number

  constructor(
    private readonly settings: LivenessSettings,
    now: number
  ) {
    this.aliveAt = now
  }

  sent(messageId: string, now: number): void {
    if (this.earlyAcks.delete(messageId)) return
    this.unacked.set(messageId, now)
  }

  acked(messageId: string, now: number): void {
    this.aliveAt = now
    if (this.unacked.delete(messageId)) return
    this.earlyAcks.add(messageId)
    if (this.earlyAcks.size > EARLY_ACKS_KEPT) this.earlyAcks.delete(this.earlyAcks.values().next().value as string)
  }

  probing(now: number): void {
    this.probeSince = now
  }

  /** The server answered the probe (a result or an error: either way it is listening). */
  answered(now: number): void {
    this.probeSince = undefined
    this.aliveAt = now
  }

  verdict(now: number): LivenessVerdict {
    const oldestSend = Math.min(...this.unacked.values())
    const probe = this.probeSince ?? Number.POSITIVE_INFINITY
    const oldest = Math.min(oldestSend, probe)
    if (now - oldest >= this.settings.timeoutMs) return { act: 'trip', waited: oldestSend <= probe ? 'ack' : 'probe', forMs: now - oldest }
    // A send waiting for its ack already watches the path; a connection that just proved alive needs no question.
    if (this.probeSince === undefined && this.unacked.size === 0 && now - this.aliveAt >= this.settings.probeMs) return { act: 'probe' }
    return { act: 'wait' }
  }
}
