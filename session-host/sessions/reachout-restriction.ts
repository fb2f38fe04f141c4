import type { WASocket } from '@whiskeysockets/baileys'
import type { Logger } from 'pino'
import type { SessionRestriction } from '../../shared/host-api/sessions.ts'

/** What Baileys reports of the reach-out time-lock (`connection.update.reachoutTimeLock`). */
export type ReachoutTimelockUpdate = { isActive?: boolean; timeEnforcementEnds?: Date; enforcementType?: string }

/** The reach-out time-lock as a session shows it: read from WhatsApp when in doubt, news only when it changes. */
export class ReachoutRestriction {
  current: SessionRestriction | undefined
  private reading = false

  constructor(private readonly log: Logger) {}

  /**
   * A 463 refusal may mean the account is time-locked. Baileys rc14 handles 463 as a missing
   * privacy token and never reaches its own time-lock fetch, so ask (one query at a time): the
   * answer arrives as `connection.update.reachoutTimeLock`, like the server's push.
   */
  read(socket: WASocket): void {
    if (this.reading) return
    this.reading = true
    socket
      .fetchAccountReachoutTimelock()
      .catch(error => this.log.debug({ err: error }, 'could not read the reach-out time-lock'))
      .finally(() => (this.reading = false))
  }

  /** Takes the lock WhatsApp reported; true when it changed what the session shows. */
  update(timelock: ReachoutTimelockUpdate): boolean {
    const restriction: SessionRestriction | undefined = timelock.isActive
      ? { kind: 'reachout_timelock', until: timelock.timeEnforcementEnds?.toISOString() ?? null, enforcement: timelock.enforcementType ?? null }
      : undefined
    // Every read reports the lock; only a change is news (a session.status event, a warning).
    if (JSON.stringify(restriction) === JSON.stringify(this.current)) return false
    this.current = restriction
    this.log.warn({ restriction: restriction ?? null }, 'WhatsApp reach-out restriction changed')
    return true
  }
}
