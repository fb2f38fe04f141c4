export type LivenessSettings = {
  /**
   * A send unacked this long with no sign of life since (its probe, sent halfway, unanswered), or a
   * probe unanswered this long, means the connection is half-dead; 0 turns the watchdog off.
   */
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
 * their ack, the probe in flight, the last sign of life. It decides; the watchdog acts. A send
 * waiting for its ack is a question to the connection: halfway to the timeout it is asked again
 * with a probe, and only a connection that answers neither is closed. One that answers (the probe,
 * or the acks of later sends) is alive, and a send it never acks is the send queue's to fail
 * (ACK_TIMEOUT_MS), not a reason to reconnect and send it again and again.
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
    const own = this.unacked.delete(messageId)
    this.alive(now)
    if (own) return
    this.earlyAcks.add(messageId)
    if (this.earlyAcks.size > EARLY_ACKS_KEPT) this.earlyAcks.delete(this.earlyAcks.values().next().value as string)
  }

  probing(now: number): void {
    this.probeSince = now
  }

  /** The server answered the probe (a result or an error: either way it is listening). */
  answered(now: number): void {
    this.probeSince = undefined
    this.alive(now)
  }

  /** A sign of life: the sends before it say nothing more about the connection (the queue fails one never acked). */
  private alive(now: number): void {
    this.aliveAt = now
    for (const [messageId, at] of this.unacked) if (at < now) this.unacked.delete(messageId)
  }

  verdict(now: number): LivenessVerdict {
    const { timeoutMs, probeMs } = this.settings
    const oldestSend = Math.min(...this.unacked.values())
    if (this.probeSince !== undefined) {
      if (now - this.probeSince >= timeoutMs) return { act: 'trip', waited: 'probe', forMs: now - this.probeSince }
      if (now - oldestSend >= timeoutMs) return { act: 'trip', waited: 'ack', forMs: now - oldestSend }
      return { act: 'wait' }
    }
    if (now - oldestSend >= timeoutMs / 2) return { act: 'probe' }
    // A send waiting for its ack already watches the path; a connection that just proved alive needs no question.
    if (this.unacked.size === 0 && now - this.aliveAt >= probeMs) return { act: 'probe' }
    return { act: 'wait' }
  }
}
