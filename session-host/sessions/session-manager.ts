import { and, count, eq, gt, inArray, sql } from 'drizzle-orm'
import type { UserFacingSocketConfig, WASocket } from '@whiskeysockets/baileys'
import type { SessionDeletedAnswer, SessionView } from '../../shared/host-api/sessions.ts'
import type { Logger } from 'pino'
import { appError } from '../../shared/errors.ts'
import { DEFAULT_DEVICE_LABEL } from '../../shared/sessions.ts'
import type { LinkFailure, SessionStatus } from '../../shared/sessions.ts'
import { tablesOf, writeTransaction } from '../db/database.ts'
import type { Db, DbExecutor, Tables } from '../db/database.ts'
import { databaseNow, databaseNowPlus } from '../db/dialect-sql.ts'
import { reusedStatement } from '../db/reused-statement.ts'
import type { FleetSessions } from '../fleet/fleet-member.ts'
import { takeNewLease } from '../fleet/session-leases.ts'
import type { Fence } from '../fleet/session-leases.ts'
import { PairingCodeRefusedError, PairingCodeUnansweredError } from './pairing-code-request.ts'
import { RegistrationNotReadyError, WaSession } from './wa-session.ts'
import type { ConnectGate } from './connect-gate.ts'
import type { LivenessSettings } from './liveness-watchdog.ts'
import type { SessionEvent } from './session-event.ts'
import { unfinishedWork } from './unfinished-work.ts'

const viewColumns = ({ sessions }: Tables) => ({
  sessionId: sessions.id,
  status: sessions.status,
  phoneNumber: sessions.phoneNumber,
  deviceLabel: sessions.deviceLabel,
  linkFailure: sessions.linkFailure,
  lastSeenAt: sessions.lastSeenAt
})
/** The stored row, with the host that holds the session's lease now (`hostId`). */
const viewSelection = (tables: Tables) => ({ ...viewColumns(tables), hostId: tables.sessionLeases.owner })

/** The join to the session's lease, current ones only: `hostId` is the host running it now. */
const currentLease = (on: DbExecutor, { sessionLeases, sessions }: Tables) =>
  and(eq(sessionLeases.sessionId, sessions.id), gt(sessionLeases.expiresAt, databaseNow(on)))

type ViewRow = {
  sessionId: string
  status: SessionStatus
  phoneNumber: string | null
  deviceLabel: string | null
  linkFailure: LinkFailure | null
  lastSeenAt: Date | null
  hostId: string | null
}

/** One session's row and the host running it now; every send looks, so it is built once (db/reused-statement.ts). */
const sessionRow = reusedStatement(on => {
  const tables = tablesOf(on)
  return on
    .select(viewSelection(tables))
    .from(tables.sessions)
    .leftJoin(tables.sessionLeases, currentLease(on, tables))
    .where(eq(tables.sessions.id, sql.placeholder('sessionId')))
})

/** How long a session stays connected before it may move to another host to even out the shares. */
const HAND_OVER_AFTER_MS = 10_000

/** Where the session manager tells the sandbox's phone about a pairing-code request (sandbox/sandbox-linking.ts). */
export type PairingPhone = {
  /** Before the session is checked and the code requested: a QR scan that began first ends first. */
  beforePairing(sessionId: string): Promise<void>
  /** The code WhatsApp issued for `phoneNumber`: the phone types it in. */
  codeIssued(sessionId: string, phoneNumber: string, code: string): void
  /** No code was issued: the phone scans the session's QRs again. */
  pairingFailed(sessionId: string): void
}

export type SessionManagerDeps = {
  db: Db
  logger: Logger
  /** Socket settings per session: the emulator's URL and media trust in sandbox mode. */
  socketConfig?: (sessionId: string) => Partial<UserFacingSocketConfig>
  backoff?: { baseMs?: number; maxMs?: number }
  /** The liveness watchdog's settings for every session (WATCHDOG_TIMEOUT_MS, WATCHDOG_PROBE_MS); unset: off. */
  liveness?: LivenessSettings
  /** Bounds how many sessions connect at once (SESSION_CONNECT_CONCURRENCY); unset: no bound. */
  connectGate?: ConnectGate
  /** In sandbox mode, the emulator's phone, which types pairing codes in. */
  pairingPhone?: PairingPhone
  /** Records webhook events in the transaction of the change they report (see WaSession). */
  journal?: (tx: DbExecutor, event: SessionEvent) => Promise<void>
  /** This host in the fleet: its id and lease time, and where a session it creates is adopted (FleetMember.adoptNew). */
  host: {
    id: string
    leaseMs: number
    /** A host heard from within this long is serving (a few of its heartbeats). */
    liveMs: number
    adoptNew(sessionId: string, fence: Fence): Promise<void>
  }
}

/**
 * The sessions this host runs: the ones it holds a lease on (the fleet adopts, drops and hands
 * them over), created here, restarted and removed. What is stored is read from the database, so
 * any host answers for any session; only the holder has its socket.
 */
export class SessionManager implements FleetSessions {
  private readonly running = new Map<string, WaSession>()
  private readonly listeners: ((event: SessionEvent) => void)[] = []
  private readonly tables: Tables

  constructor(private readonly deps: SessionManagerDeps) {
    this.tables = tablesOf(deps.db)
  }

  /** Hears every session's events (status, QR, message status…) in order; the send queue and the sandbox listen. */
  onEvent(listener: (event: SessionEvent) => void): void {
    this.listeners.push(listener)
  }

  /** This host now holds the session's lease: run it (it reconnects without a QR when it was linked). */
  async adopt(sessionId: string, fence: Fence): Promise<void> {
    const { sessions } = this.tables
    const [row] = await this.deps.db.select({ deviceLabel: sessions.deviceLabel }).from(sessions).where(eq(sessions.id, sessionId))
    if (!row) return
    await this.running.get(sessionId)?.stop()
    this.launch(sessionId, row.deviceLabel, fence)
  }

  /** Another host took the session over: close the socket now (its writes are fenced off anyway). */
  async drop(sessionId: string): Promise<void> {
    const session = this.running.get(sessionId)
    this.running.delete(sessionId)
    await session?.stop()
  }

  /** A clean stop before the lease is handed on: the socket closes and the session's writes are stored. */
  stop(sessionId: string): Promise<void> {
    return this.drop(sessionId)
  }

  /**
   * Sessions that can move to another host without anyone noticing, most idle first: linked ones
   * (not showing a QR or waiting for a pairing code), fewest messages in line.
   */
  async handOverCandidates(sessionIds: string[]): Promise<string[]> {
    // Only settled sessions move: one still linking shows its QR (or waits for its code) where the
    // user is looking, and one that just connected may still be storing what linking gave it.
    const movable = sessionIds.filter(id => {
      const session = this.running.get(id)
      return !session || session.settledFor(HAND_OVER_AFTER_MS)
    })
    if (movable.length === 0) return []
    const { messages } = this.tables
    const busy = await this.deps.db
      .select({ sessionId: messages.sessionId, waiting: count() })
      .from(messages)
      .where(and(inArray(messages.sessionId, movable), inArray(messages.status, ['queued', 'sending'])))
      .groupBy(messages.sessionId)
    const waiting = new Map(busy.map(row => [row.sessionId, Number(row.waiting)]))
    return movable.sort((a, b) => (waiting.get(a) ?? 0) - (waiting.get(b) ?? 0))
  }

  /** Whether this host runs the session now. */
  runsHere(sessionId: string): boolean {
    return this.running.has(sessionId)
  }

  /** `prepare` writes what belongs to the new session (its webhook) in the same transaction. */
  async create(sessionId: string, options: { deviceLabel?: string } = {}, prepare?: (tx: DbExecutor) => Promise<void>): Promise<SessionView> {
    const { sessions } = this.tables
    const fence = await writeTransaction(this.deps.db, async tx => {
      const inserted = await tx
        .insert(sessions)
        .values({ id: sessionId, deviceLabel: options.deviceLabel ?? null })
        .onConflictDoNothing()
        .returning({ id: sessions.id })
      if (inserted.length === 0) throw appError('SESSION_EXISTS', `Session ${sessionId} already exists`)
      await prepare?.(tx)
      return takeNewLease(tx, sessionId, this.deps.host.id, this.deps.host.leaseMs)
    })
    await this.deps.host.adoptNew(sessionId, fence)
    return this.view(sessionId)
  }

  async list(): Promise<SessionView[]> {
    const { sessions } = this.tables
    const rows = await this.deps.db
      .select(viewSelection(this.tables))
      .from(sessions)
      .leftJoin(this.tables.sessionLeases, currentLease(this.deps.db, this.tables))
      .orderBy(sessions.createdAt)
    return rows.map(row => this.toView(row))
  }

  /** How many sessions stand in each status. */
  async countByStatus(): Promise<Partial<Record<SessionStatus, number>>> {
    const { sessions } = this.tables
    const rows = await this.deps.db.select({ status: sessions.status, sessions: count() }).from(sessions).groupBy(sessions.status)
    return Object.fromEntries(rows.map(row => [row.status, Number(row.sessions)]))
  }

  async view(sessionId: string): Promise<SessionView> {
    const [row] = await sessionRow(this.deps.db).execute({ sessionId })
    if (!row) throw appError('SESSION_NOT_FOUND', `Session ${sessionId} does not exist`)
    return this.toView(row)
  }

  private toView({ sessionId, status, phoneNumber, linkFailure, deviceLabel, lastSeenAt, hostId }: ViewRow): SessionView {
    const running = this.running.get(sessionId)
    return {
      sessionId,
      status,
      isConnected: status === 'connected',
      reason: status === 'link_failed' ? (linkFailure?.reason ?? null) : null,
      serverError: status === 'link_failed' ? (linkFailure?.serverError ?? null) : null,
      phoneNumber,
      user: phoneNumber ? (running?.user ?? { id: `${phoneNumber}@s.whatsapp.net`, name: null }) : null,
      lastSeen: status === 'connected' ? new Date().toISOString() : (lastSeenAt?.toISOString() ?? null),
      deviceLabel: deviceLabel ?? DEFAULT_DEVICE_LABEL,
      restriction: running?.restriction ?? null,
      hostId
    }
  }

  /**
   * The QR a linking session shows right now, and whether WhatsApp refreshed it after a scan (it
   * must be scanned again); 409 once the session is linked.
   */
  async qr(sessionId: string): Promise<{ qr: string; refreshed: boolean; at: Date }> {
    const session = await this.require(sessionId)
    if (session.status === 'connected') throw appError('SESSION_ALREADY_CONNECTED', `Session ${sessionId} is already connected`)
    if (!session.qr)
      throw appError('SESSION_NOT_CONNECTED', `Session ${sessionId} has no QR code yet`, {
        status: session.status,
        reason: session.linkFailure?.reason ?? null
      })
    return { qr: session.qr, refreshed: session.qrRefreshed, at: session.qrAt ?? new Date() }
  }

  /** Status and, while linking, the current QR: what the QR page polls (nothing more). */
  async linkState(
    sessionId: string
  ): Promise<Pick<SessionView, 'sessionId' | 'status' | 'reason' | 'phoneNumber'> & { qr: string | null; qrRefreshed: boolean }> {
    const view = await this.view(sessionId)
    const { sessionId: id, status, reason, phoneNumber } = view
    // The QR lives in the memory of the host that shows it.
    if (status !== 'connected' && !this.running.has(sessionId)) await this.refuseIfElsewhere(view)
    const running = status === 'connected' ? undefined : this.running.get(sessionId)
    return { sessionId: id, status, reason, phoneNumber, qr: running?.qr ?? null, qrRefreshed: Boolean(running?.qr && running.qrRefreshed) }
  }

  /**
   * A pairing code, once WhatsApp accepted the request: 422 PAIRING_CODE_REFUSED with the server's
   * code otherwise. A session already linked gets 409; one whose link failed links again.
   */
  async pairingCode(sessionId: string, phoneNumber: string): Promise<string> {
    const phone = this.deps.pairingPhone
    await phone?.beforePairing(sessionId)
    try {
      const code = await this.requestPairingCode(sessionId, phoneNumber)
      phone?.codeIssued(sessionId, phoneNumber, code)
      return code
    } catch (error) {
      phone?.pairingFailed(sessionId)
      throw error
    }
  }

  private async requestPairingCode(sessionId: string, phoneNumber: string): Promise<string> {
    const session = await this.require(sessionId)
    const view = await this.view(sessionId)
    if (session.status === 'connected' || (view.phoneNumber && view.status !== 'logged_out' && view.status !== 'link_failed'))
      throw appError('SESSION_ALREADY_CONNECTED', `Session ${sessionId} is already linked`, { status: view.status })
    try {
      return await session.requestPairingCode(phoneNumber)
    } catch (error) {
      if (error instanceof PairingCodeRefusedError)
        throw appError('PAIRING_CODE_REFUSED', 'WhatsApp refused the pairing-code request; no code was issued', {
          serverCode: error.serverError.code,
          serverText: error.serverError.text
        })
      if (error instanceof PairingCodeUnansweredError) throw appError('SESSION_NOT_CONNECTED', error.message, { status: session.status })
      if (error instanceof RegistrationNotReadyError)
        throw appError('SESSION_NOT_CONNECTED', `Session ${sessionId} is not ready to link yet; try again`, { status: error.status })
      throw error
    }
  }

  async restart(sessionId: string): Promise<SessionView> {
    const session = await this.require(sessionId)
    const { deviceLabel } = await this.view(sessionId)
    await session.stop()
    this.running.delete(sessionId)
    this.launch(sessionId, deviceLabel, session.fence)
    return this.view(sessionId)
  }

  /**
   * Logs out at WhatsApp when connected, then forgets the session and its auth state. The host
   * running it does the logout; with no host holding it (mid-failover) the session is forgotten here.
   */
  /**
   * Logs the session out and deletes it with everything stored under it (its messages, OTPs and
   * events), counting in the same transaction what goes with it never done, for the answer.
   */
  async remove(sessionId: string): Promise<SessionDeletedAnswer['discarded']> {
    const view = await this.view(sessionId)
    if (!this.running.has(sessionId)) await this.refuseIfElsewhere(view)
    await this.running.get(sessionId)?.logout()
    this.running.delete(sessionId)
    return writeTransaction(this.deps.db, async tx => {
      const discarded = await unfinishedWork(tx, sessionId)
      await tx.delete(this.tables.sessions).where(eq(this.tables.sessions.id, sessionId))
      return discarded
    })
  }

  /** The socket while the session is connected; the send queue asks before each message. */
  connectedSocket(sessionId: string): WASocket | undefined {
    return this.running.get(sessionId)?.connectedSocket
  }

  /**
   * Sends may wait in the queue while a linked session reconnects or restarts; a session that was
   * never linked, or that WhatsApp logged out, would never send them, so it refuses with a 503.
   */
  async requireQueueable(sessionId: string): Promise<void> {
    const view = await this.view(sessionId)
    // The host running the session sends it (and checks recipients on its socket); mid-failover,
    // with no host holding it, the message waits in the shared queue for the next one.
    if (!this.running.has(sessionId)) await this.refuseIfElsewhere(view)
    if (!view.phoneNumber || view.status === 'logged_out' || view.status === 'qr' || view.status === 'link_failed')
      throw appError('SESSION_NOT_CONNECTED', `Session ${sessionId} is not linked`, { status: view.status })
  }

  /** The connected socket of a session, or a 503 that says why it cannot send now. */
  async socket(sessionId: string): Promise<WASocket> {
    const session = await this.require(sessionId)
    const socket = session.connectedSocket
    if (!socket) throw appError('SESSION_NOT_CONNECTED', `Session ${sessionId} is not connected`, { status: session.status })
    return socket
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.running.values()].map(session => session.stop()))
    this.running.clear()
  }

  /**
   * The session running here: SESSION_NOT_FOUND when it does not exist, SESSION_MOVED when another
   * host runs it (the gateway retries there), SESSION_NOT_CONNECTED when no host runs it now.
   */
  private async require(sessionId: string): Promise<WaSession> {
    const view = await this.view(sessionId)
    const session = this.running.get(sessionId)
    if (session) return session
    await this.refuseIfElsewhere(view)
    throw appError('SESSION_NOT_CONNECTED', `Session ${sessionId} is not running on any host right now`, { status: view.status })
  }

  /**
   * SESSION_MOVED, with where the host is (for the gateway's one retry), when another host runs
   * the session and is serving. One that is handing its sessions over, or has gone silent, still
   * holds the lease for a moment: the request is served here then (a send waits in the shared queue
   * for the session's next host) rather than sent to a host that will not answer.
   */
  private async refuseIfElsewhere(view: SessionView): Promise<void> {
    if (!view.hostId || view.hostId === this.deps.host.id) return
    const { hosts } = this.tables
    const [host] = await this.deps.db
      .select({ url: hosts.url })
      .from(hosts)
      .where(and(eq(hosts.id, view.hostId), eq(hosts.status, 'up'), gt(hosts.heartbeatAt, databaseNowPlus(this.deps.db, -this.deps.host.liveMs))))
    if (host) throw appError('SESSION_MOVED', `Session ${view.sessionId} runs on host ${view.hostId}`, { hostId: view.hostId, hostUrl: host.url })
  }

  private launch(sessionId: string, deviceLabel: string | null, fence: Fence): void {
    const session = new WaSession({
      id: sessionId,
      db: this.deps.db,
      fence,
      logger: this.deps.logger,
      deviceLabel: deviceLabel ?? DEFAULT_DEVICE_LABEL,
      socket: this.deps.socketConfig?.(sessionId),
      backoff: this.deps.backoff,
      liveness: this.deps.liveness,
      connectGate: this.deps.connectGate,
      onEvent: event => {
        for (const listener of this.listeners) listener(event)
      },
      journal: this.deps.journal
    })
    this.running.set(sessionId, session)
    session.start()
  }
}
