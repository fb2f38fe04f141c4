import { count, eq } from 'drizzle-orm'
import type { UserFacingSocketConfig, WASocket } from '@whiskeysockets/baileys'
import type { SessionView } from '../../shared/host-api/sessions.ts'
import type { Logger } from 'pino'
import { appError } from '../../shared/errors.ts'
import { DEFAULT_DEVICE_LABEL } from '../../shared/sessions.ts'
import type { LinkFailure, SessionStatus } from '../../shared/sessions.ts'
import type { Db, DbExecutor } from '../db/connection.ts'
import { writeTransaction } from '../db/connection.ts'
import { sessions } from '../db/schema.ts'
import { PairingCodeRefusedError, PairingCodeUnansweredError } from './pairing-code-request.ts'
import { RegistrationNotReadyError, WaSession } from './wa-session.ts'
import type { SessionEvent } from './session-event.ts'

const viewColumns = {
  sessionId: sessions.id,
  status: sessions.status,
  phoneNumber: sessions.phoneNumber,
  deviceLabel: sessions.deviceLabel,
  linkFailure: sessions.linkFailure,
  lastSeenAt: sessions.lastSeenAt
}
type ViewRow = {
  sessionId: string
  status: SessionStatus
  phoneNumber: string | null
  deviceLabel: string | null
  linkFailure: LinkFailure | null
  lastSeenAt: Date | null
}

export type SessionManagerDeps = {
  db: Db
  logger: Logger
  /** Socket settings per session: the emulator's URL and media trust in sandbox mode. */
  socketConfig?: (sessionId: string) => Partial<UserFacingSocketConfig>
  backoff?: { baseMs?: number; maxMs?: number }
  /** Records webhook events in the transaction of the change they report (see WaSession). */
  journal?: (tx: DbExecutor, event: SessionEvent) => void
}

/** The sessions this host runs: created, restored after a restart, restarted and removed. */
export class SessionManager {
  private readonly running = new Map<string, WaSession>()
  private readonly listeners: ((event: SessionEvent) => void)[] = []

  constructor(private readonly deps: SessionManagerDeps) {}

  /** Hears every session's events (status, QR, message status…) in order; the send queue and the sandbox listen. */
  onEvent(listener: (event: SessionEvent) => void): void {
    this.listeners.push(listener)
  }

  /** Starts every stored session WhatsApp has not logged out, so they reconnect without a QR. */
  restore(): void {
    const rows = this.deps.db.select({ id: sessions.id, status: sessions.status, deviceLabel: sessions.deviceLabel }).from(sessions).all()
    for (const row of rows) if (row.status !== 'logged_out') this.launch(row.id, row.deviceLabel)
  }

  /** `prepare` writes what belongs to the new session (its webhook) in the same transaction. */
  create(sessionId: string, options: { deviceLabel?: string } = {}, prepare?: (tx: DbExecutor) => void): SessionView {
    writeTransaction(this.deps.db, tx => {
      const inserted = tx
        .insert(sessions)
        .values({ id: sessionId, deviceLabel: options.deviceLabel ?? null })
        .onConflictDoNothing()
        .returning({ id: sessions.id })
        .all()
      if (inserted.length === 0) throw appError('SESSION_EXISTS', `Session ${sessionId} already exists`)
      prepare?.(tx)
    })
    this.launch(sessionId, options.deviceLabel ?? null)
    return this.view(sessionId)
  }

  list(): SessionView[] {
    return this.deps.db
      .select(viewColumns)
      .from(sessions)
      .orderBy(sessions.createdAt)
      .all()
      .map(row => this.toView(row))
  }

  /** How many sessions stand in each status. */
  countByStatus(): Partial<Record<SessionStatus, number>> {
    const rows = this.deps.db.select({ status: sessions.status, sessions: count() }).from(sessions).groupBy(sessions.status).all()
    return Object.fromEntries(rows.map(row => [row.status, row.sessions]))
  }

  view(sessionId: string): SessionView {
    const row = this.deps.db.select(viewColumns).from(sessions).where(eq(sessions.id, sessionId)).get()
    if (!row) throw appError('SESSION_NOT_FOUND', `Session ${sessionId} does not exist`)
    return this.toView(row)
  }

  /** The stored row, with what WhatsApp told the running session about limits on it (held in memory: it re-reports them). */
  private toView({ sessionId, status, phoneNumber, linkFailure, deviceLabel, lastSeenAt }: ViewRow): SessionView {
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
      restriction: running?.restriction ?? null
    }
  }

  /**
   * The QR a linking session shows right now, and whether WhatsApp refreshed it after a scan (it
   * must be scanned again); 409 once the session is linked.
   */
  qr(sessionId: string): { qr: string; refreshed: boolean; at: Date } {
    const session = this.require(sessionId)
    if (session.status === 'connected') throw appError('SESSION_ALREADY_CONNECTED', `Session ${sessionId} is already connected`)
    if (!session.qr)
      throw appError('SESSION_NOT_CONNECTED', `Session ${sessionId} has no QR code yet`, {
        status: session.status,
        reason: session.linkFailure?.reason ?? null
      })
    return { qr: session.qr, refreshed: session.qrRefreshed, at: session.qrAt ?? new Date() }
  }

  /** Status and, while linking, the current QR: what the QR page polls (nothing more). */
  linkState(sessionId: string): Pick<SessionView, 'sessionId' | 'status' | 'reason' | 'phoneNumber'> & { qr: string | null; qrRefreshed: boolean } {
    const { sessionId: id, status, reason, phoneNumber } = this.view(sessionId)
    const running = status === 'connected' ? undefined : this.running.get(sessionId)
    return { sessionId: id, status, reason, phoneNumber, qr: running?.qr ?? null, qrRefreshed: Boolean(running?.qr && running.qrRefreshed) }
  }

  /**
   * A pairing code, once WhatsApp accepted the request: 422 PAIRING_CODE_REFUSED with the server's
   * code otherwise. A session already linked gets 409; one whose link failed links again.
   */
  async pairingCode(sessionId: string, phoneNumber: string): Promise<string> {
    const view = this.view(sessionId)
    const session = this.runningSession(sessionId)
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
    const { deviceLabel } = this.view(sessionId)
    await this.running.get(sessionId)?.stop()
    this.running.delete(sessionId)
    this.launch(sessionId, deviceLabel)
    return this.view(sessionId)
  }

  /** Logs out at WhatsApp when connected, then forgets the session and its auth state. */
  async remove(sessionId: string): Promise<void> {
    this.view(sessionId)
    await this.running.get(sessionId)?.logout()
    this.running.delete(sessionId)
    this.deps.db.delete(sessions).where(eq(sessions.id, sessionId)).run()
  }

  /** The socket while the session is connected; the send queue asks before each message. */
  connectedSocket(sessionId: string): WASocket | undefined {
    return this.running.get(sessionId)?.connectedSocket
  }

  /**
   * Sends may wait in the queue while a linked session reconnects or restarts; a session that was
   * never linked, or that WhatsApp logged out, would never send them, so it refuses with a 503.
   */
  requireQueueable(sessionId: string): void {
    const view = this.view(sessionId)
    if (!view.phoneNumber || view.status === 'logged_out' || view.status === 'qr' || view.status === 'link_failed')
      throw appError('SESSION_NOT_CONNECTED', `Session ${sessionId} is not linked`, { status: view.status })
  }

  /** The connected socket of a session, or a 503 that says why it cannot send now. */
  socket(sessionId: string): WASocket {
    const session = this.require(sessionId)
    const socket = session.connectedSocket
    if (!socket) throw appError('SESSION_NOT_CONNECTED', `Session ${sessionId} is not connected`, { status: session.status })
    return socket
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.running.values()].map(session => session.stop()))
    this.running.clear()
  }

  /** The running session: SESSION_NOT_FOUND when it does not exist, SESSION_NOT_CONNECTED when it is not running. */
  private require(sessionId: string): WaSession {
    this.view(sessionId)
    return this.runningSession(sessionId)
  }

  private runningSession(sessionId: string): WaSession {
    const session = this.running.get(sessionId)
    if (!session) throw appError('SESSION_NOT_CONNECTED', `Session ${sessionId} is not running`, { status: 'logged_out' })
    return session
  }

  private launch(sessionId: string, deviceLabel: string | null): void {
    const session = new WaSession({
      id: sessionId,
      db: this.deps.db,
      logger: this.deps.logger,
      deviceLabel: deviceLabel ?? DEFAULT_DEVICE_LABEL,
      socket: this.deps.socketConfig?.(sessionId),
      backoff: this.deps.backoff,
      onEvent: event => {
        for (const listener of this.listeners) listener(event)
      },
      journal: this.deps.journal
    })
    this.running.set(sessionId, session)
    session.start()
  }
}
