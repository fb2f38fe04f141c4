import type { Logger } from 'pino'
import type { Db } from '../db/database.ts'
import { heartbeat, liveHostIds, registerHost, setHostStatus } from './host-registry.ts'
import { claimLeases, countHostedSessions, ensureLeaseRows, hostedAmong, releaseLease, renewLeases } from './session-leases.ts'
import type { Fence } from './session-leases.ts'

export type FleetSettings = {
  hostId: string
  /** How the gateway and the other hosts reach this host. */
  url: string
  /** How long a lease lasts without renewal; a host that stops renewing loses its sessions after it. */
  leaseMs: number
  /** How often the host heartbeats, renews, claims and evens out (jittered ±25%). */
  tickMs: number
  /** At most this many sessions claimed per tick, so a crashed host's sessions come back in waves. */
  wave: number
  random?: () => number
}

/** What the fleet asks of the host's sessions. */
export type FleetSessions = {
  /** This host now holds the session: run it under this fence. */
  adopt(sessionId: string, fence: Fence): Promise<void>
  /** The lease was lost (another host took over): stop at once, writing nothing. */
  drop(sessionId: string): Promise<void>
  /** Stop cleanly (socket closed, writes stored) before the lease is given away. */
  stop(sessionId: string): Promise<void>
  /** The sessions this host could hand over now, most idle first (none waiting for a QR scan or a pairing code). */
  handOverCandidates(sessionIds: string[]): Promise<string[]>
}

/**
 * This host's part in the fleet: it registers, heartbeats, renews its leases and notices the ones
 * it lost, claims free or expired sessions up to its fair share (hosted sessions ÷ live hosts,
 * rounded up), and hands idle ones over when it holds more than that (a host joined). On stop it
 * closes its sessions and releases their leases so the others take them at once.
 */
export class FleetMember {
  private readonly held = new Map<string, number>()
  private timer: NodeJS.Timeout | undefined
  private running = false
  private ticking: Promise<void> = Promise.resolve()
  private leader = false
  private rounds = 0
  private started = false
  private readonly roundListeners: ((held: string[]) => Promise<void>)[] = []
  private readonly log: Logger

  constructor(
    private readonly db: Db,
    private readonly settings: FleetSettings,
    private readonly sessions: FleetSessions,
    logger: Logger
  ) {
    this.log = logger.child({ module: 'fleet', hostId: settings.hostId })
  }

  get hostId(): string {
    return this.settings.hostId
  }

  /** The fence this host writes a session's changes under, while it holds the session. */
  fence(sessionId: string): Fence | undefined {
    const generation = this.held.get(sessionId)
    return generation === undefined ? undefined : { hostId: this.settings.hostId, generation }
  }

  heldSessions(): string[] {
    return [...this.held.keys()]
  }

  /**
   * The live host with the lowest id: it also does what belongs to no session host, such as
   * delivering the webhook events of sessions no host holds (logged out, or mid-failover).
   */
  get isLeader(): boolean {
    return this.leader
  }

  /** Runs after each round with the sessions held (the send queue looks for messages other hosts accepted). */
  onRound(listener: (held: string[]) => Promise<void>): void {
    this.roundListeners.push(listener)
  }

  /** A session this host just created and leased in the same transaction. */
  async adoptNew(sessionId: string, fence: Fence): Promise<void> {
    this.held.set(sessionId, fence.generation)
    await this.sessions.adopt(sessionId, fence)
  }

  async start(): Promise<void> {
    await registerHost(this.db, { id: this.settings.hostId, url: this.settings.url })
    await ensureLeaseRows(this.db)
    this.running = true
    await this.tick()
    this.started = true
    this.schedule()
  }

  /** Registered and through its first round: it has taken its share of the sessions (the readiness probe). */
  get ready(): boolean {
    return this.started && this.running
  }

  /** One round: heartbeat, renew, claim up to the share, hand over above it. Runs one at a time. */
  tick(): Promise<void> {
    this.ticking = this.ticking
      .then(async () => {
        await this.round()
        for (const listener of this.roundListeners) await listener(this.heldSessions())
      })
      .catch(error => this.log.error({ err: error }, 'fleet round failed'))
    return this.ticking
  }

  /** Stops every session this host holds, then releases their leases and says the host stopped. */
  async stop(): Promise<void> {
    this.running = false
    // A host handing its sessions over leads nothing: the next live host leads from its next round.
    this.leader = false
    clearTimeout(this.timer)
    await this.ticking
    await setHostStatus(this.db, this.settings.hostId, 'stopping').catch(error => this.log.warn({ err: error }, 'could not mark the host stopping'))
    await Promise.all(
      [...this.held].map(async ([sessionId, generation]) => {
        await this.sessions.stop(sessionId)
        await releaseLease(this.db, sessionId, { hostId: this.settings.hostId, generation }).catch(error =>
          this.log.warn({ err: error, sessionId }, 'could not release a lease; it expires instead')
        )
      })
    )
    this.held.clear()
    await setHostStatus(this.db, this.settings.hostId, 'stopped').catch(() => {})
  }

  private schedule(): void {
    if (!this.running) return
    const random = this.settings.random ?? Math.random
    const delay = this.settings.tickMs * (0.75 + 0.5 * random())
    this.timer = setTimeout(() => {
      void this.tick().finally(() => this.schedule())
    }, delay)
    this.timer.unref()
  }

  private async round(): Promise<void> {
    this.rounds++
    const { hostId, leaseMs, wave } = this.settings
    await heartbeat(this.db, hostId)
    const renewed = new Map((await renewLeases(this.db, hostId, leaseMs, this.heldSessions())).map(lease => [lease.sessionId, Number(lease.generation)]))
    for (const [sessionId, generation] of [...this.held]) {
      if (renewed.get(sessionId) === generation) continue
      this.held.delete(sessionId)
      this.log.warn({ sessionId }, 'lease lost to another host; session stopped here')
      await this.sessions.drop(sessionId)
    }
    if (!this.running) return
    const live = await liveHostIds(this.db, leaseMs)
    this.leader = live[0] === hostId
    const share = Math.ceil((await countHostedSessions(this.db)) / Math.max(1, live.length))
    // Weighed as the share is counted: a logged-out session this host keeps (so that its next QR or
    // pairing code is served here) needs no host, and counting it made a lone host hand connected
    // sessions over to nobody.
    const hosted = await hostedAmong(this.db, this.heldSessions())
    const mine = hosted.length
    if (mine < share) {
      // Only the first round takes back what this host held before a restart: it runs before the
      // host serves, so no session it is creating right now can be mistaken for one.
      const ownFromBefore = this.rounds === 1
      // Its own come back all at once (the connect gate paces their sockets); others' in waves.
      const own = ownFromBefore ? await claimLeases(this.db, hostId, { ttlMs: leaseMs, limit: share - mine, ownOnly: true }) : []
      const others = await claimLeases(this.db, hostId, { ttlMs: leaseMs, limit: Math.min(wave, share - mine - own.length), ownFromBefore })
      for (const lease of [...own, ...others]) {
        const generation = Number(lease.generation)
        this.held.set(lease.sessionId, generation)
        this.log.info({ sessionId: lease.sessionId, generation }, 'session taken')
        await this.sessions.adopt(lease.sessionId, { hostId, generation })
      }
    } else if (mine > share) {
      const candidates = await this.sessions.handOverCandidates(hosted)
      for (const sessionId of candidates.slice(0, Math.min(wave, mine - share))) {
        const generation = this.held.get(sessionId)
        if (generation === undefined) continue
        this.held.delete(sessionId)
        await this.sessions.stop(sessionId)
        await releaseLease(this.db, sessionId, { hostId, generation })
        this.log.info({ sessionId }, 'session handed over to even out the shares')
      }
    }
  }
}
