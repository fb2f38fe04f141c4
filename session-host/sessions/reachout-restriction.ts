import type { WASocket } from '@whiskeysockets/baileys'
import type { Logger } from 'pino'
import type { SessionRestriction } from '../../shared/host-api/sessions.ts'

/** What Baileys reports of the reach-out time-lock (`connection.update.reachoutTimeLock`). */
export type ReachoutTimelockUpdate = { isActive?: boolean; timeEnforcementEnds?: Date; enforcementType?: string }

/**
 * The reach-out time-lock as a session shows it: read from WhatsApp when in doubt, news only when
 * it changes (`onChange`). A push that comes while a read is out is newer than the read's answer
 * (the server pushes on a change; its answer already held any change pushed before it), so it wins
 * even when Baileys hands the answer over after it.
 */
export class ReachoutRestriction {
  current: SessionRestriction | undefined
  /** What came while our read is out; undefined when none is. */
  private held: ReachoutTimelockUpdate[] | undefined

  constructor(
    private readonly log: Logger,
    private readonly onChange: () => void
  ) {}

  /**
   * A 463 refusal may mean the account is time-locked. Baileys rc14 handles 463 as a missing
   * privacy token and never reaches its own time-lock fetch, so ask (one query at a time): the
   * answer arrives as `connection.update.reachoutTimeLock` too, the same object it returns.
   */
  read(socket: WASocket): void {
    if (this.held) return
    this.held = []
    socket.fetchAccountReachoutTimelock().then(
      answer => this.settle(answer),
      error => {
        this.log.debug({ err: error }, 'could not read the reach-out time-lock')
        this.settle(undefined)
      }
    )
  }

  /** Takes what WhatsApp reported (a push, or a read's answer). */
  update(timelock: ReachoutTimelockUpdate): void {
    if (this.held) this.held.push(timelock)
    else this.apply(timelock)
  }

  private settle(answer: ReachoutTimelockUpdate | undefined): void {
    const held = this.held ?? []
    this.held = undefined
    const pushes = held.filter(timelock => timelock !== answer)
    const latest = pushes.at(-1) ?? held.find(timelock => timelock === answer)
    if (latest) this.apply(latest)
  }

  private apply(timelock: ReachoutTimelockUpdate): void {
    const restriction: SessionRestriction | undefined = timelock.isActive
      ? { kind: 'reachout_timelock', until: timelock.timeEnforcementEnds?.toISOString() ?? null, enforcement: timelock.enforcementType ?? null }
      : undefined
    // Every read reports the lock; only a change is news (a session.status event, a warning).
    if (JSON.stringify(restriction) === JSON.stringify(this.current)) return
    this.current = restriction
    this.log.warn({ restriction: restriction ?? null }, 'WhatsApp reach-out restriction changed')
    this.onChange()
  }
}
