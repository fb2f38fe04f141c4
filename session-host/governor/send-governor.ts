import { and, eq, gt, sql } from 'drizzle-orm'
import type { NewChatMessageCapInfo, WASocket } from '@whiskeysockets/baileys'
import type { Logger } from 'pino'
import { appError } from '../../shared/errors.ts'
import type { GovernorView } from '../../shared/host-api/governor.ts'
import type { SessionView } from '../../shared/host-api/sessions.ts'
import type { GovernorSettings, WhatsAppNewChatCap } from '../../shared/send-governor.ts'
import { tablesOf, writeTransaction } from '../db/database.ts'
import type { Db, DbExecutor } from '../db/database.ts'
import { lockKey } from '../db/dialect-sql.ts'
import type { SessionEvent } from '../sessions/session-event.ts'
import { dailyNewChatCap, decideNewChat, isEnabled, pausedUntil, utcDay } from './governor-policy.ts'
import type { GovernorDefaults, GovernorState, Refusal } from './governor-policy.ts'
import { recordBreakerEvent } from './breaker-event.ts'

export type SendGovernorDeps = {
  db: Db
  defaults: GovernorDefaults
  logger: Logger
  clock?: () => number
  random?: () => number
  /** The session's live socket, to ask WhatsApp for its new-chat cap as it connects. */
  socketOf: (sessionId: string) => WASocket | undefined
  /** The session as its `session.status` events show it (the breaker's event). */
  viewOf: (sessionId: string) => Promise<SessionView>
  /** A `session.status` event was committed (the breaker): deliver it now. */
  onEvent?: () => void
  /** A send was refused (metrics). */
  onRefusal?: (sessionId: string, refusal: Refusal) => void
}

const REFUSAL_MESSAGES: Record<Refusal['reason'], string> = {
  pacing: 'First messages to new chats are paced; try again after Retry-After.',
  daily_cap: "Today's cap on new chats for this session is reached; try again after Retry-After.",
  whatsapp_cap: "WhatsApp's own cap on new chats for this account is reached.",
  paused: 'New chats are paused after repeated 463 refusals: the account may be restricted.'
}

/** Only one-to-one chats are chats a sender starts; groups and broadcasts are left alone. */
const isPersonalChat = (jid: string): boolean => jid.endsWith('@s.whatsapp.net') || jid.endsWith('@lid')

const toCap = (info: NewChatMessageCapInfo, now: number): WhatsAppNewChatCap => ({
  total: info.total_quota ?? null,
  used: info.used_quota ?? null,
  cycleEndsAt: info.cycle_end_timestamp ? new Date(Number(info.cycle_end_timestamp) * 1000).toISOString() : null,
  status: info.capping_status ?? null,
  reportedAt: new Date(now).toISOString()
})

const EMPTY: GovernorState & { settings: GovernorSettings | null; refusalsInRow: number } = {
  settings: null,
  linkedAt: null,
  day: '',
  newChats: 0,
  nextNewChatAt: null,
  refusalsInRow: 0,
  pausedAt: null,
  pausedReason: null,
  whatsappCap: null
}

/**
 * The send governor: it protects the account's number from what gets numbers restricted (bursts of
 * first messages to strangers, ignoring WhatsApp's own cap, carrying on through 463 refusals). A
 * send to a chat the session has never written to or heard from is admitted, paced or refused
 * inside the send's own transaction, so counters and the queued message are committed together
 * (and a refused send leaves nothing behind). Its state is one row per session in the database.
 */
export class SendGovernor {
  private readonly clock: () => number
  private readonly random: () => number
  /** Sessions that may have 463 refusals counted: an accepted ack resets them with a write only then. */
  private readonly refusing = new Set<string>()
  private readonly checkedRefusals = new Set<string>()
  private events: Promise<void> = Promise.resolve()

  constructor(private readonly deps: SendGovernorDeps) {
    this.clock = deps.clock ?? Date.now
    this.random = deps.random ?? Math.random
  }

  /** Admits a send (call inside its transaction, before it is queued), or throws the refusal. */
  async admit(tx: DbExecutor, { sessionId, jid, kind }: { sessionId: string; jid: string; kind: string }): Promise<void> {
    if (!this.deps.defaults.enabled || !isPersonalChat(jid)) return
    const { knownChats, sendGovernor } = tablesOf(tx)
    // One admission per session at a time (PostgreSQL; SQLite's writes are serial already).
    await lockKey(tx, `governor:${sessionId}`)
    const [known] = await tx
      .select({ jid: knownChats.jid })
      .from(knownChats)
      .where(and(eq(knownChats.sessionId, sessionId), eq(knownChats.jid, jid)))
    if (known) return
    const now = this.clock()
    const state = await this.state(tx, sessionId)
    if (isEnabled(this.deps.defaults, state.settings)) {
      const decision = decideNewChat({ state, settings: state.settings, defaults: this.deps.defaults, otp: kind === 'otp', now, random: this.random() })
      if (!decision.admit) throw this.refusal(sessionId, decision.refusal, now)
      const values = { ...decision.next, linkedAt: state.linkedAt ?? new Date(now) }
      await tx
        .insert(sendGovernor)
        .values({ sessionId, ...values })
        .onConflictDoUpdate({ target: sendGovernor.sessionId, set: values })
    }
    await tx
      .insert(knownChats)
      .values({ sessionId, jid, firstAt: new Date(now) })
      .onConflictDoNothing()
  }

  /**
   * Follows the session: its age, WhatsApp's cap, 463 refusals (the breaker), and who wrote to it.
   * Events are applied in the order they came (a run of refusals is counted in order).
   */
  onSessionEvent(event: SessionEvent): Promise<void> {
    if (!this.deps.defaults.enabled) return Promise.resolve()
    const applied = this.events.then(() => this.apply(event))
    this.events = applied.catch(error => this.deps.logger.error({ err: error, sessionId: event.sessionId }, 'send governor could not apply a session event'))
    return this.events
  }

  private async apply(event: SessionEvent): Promise<void> {
    const { sessionId } = event
    if (event.type === 'status' && event.status === 'connected') {
      await this.noteLinked(sessionId)
      await this.readWhatsAppCap(sessionId)
    } else if (event.type === 'new-chat-cap') await this.storeCap(sessionId, toCap(event.cap, this.clock()))
    else if (event.type === 'message-ack' && event.error === '463') await this.noteRefusal(sessionId)
    else if (event.type === 'message-ack' && !event.error) await this.noteAccepted(sessionId)
    else if (event.type === 'messages') {
      const senders = event.messages.filter(message => !message.key.fromMe).map(message => message.key.remoteJidAlt ?? message.key.remoteJid)
      const jids = [...new Set(senders.filter((jid): jid is string => typeof jid === 'string' && isPersonalChat(jid)))]
      if (jids.length === 0) return
      const { knownChats } = tablesOf(this.deps.db)
      const firstAt = new Date(this.clock())
      await this.deps.db
        .insert(knownChats)
        .values(jids.map(jid => ({ sessionId, jid, firstAt })))
        .onConflictDoNothing()
    }
  }

  async view(sessionId: string): Promise<GovernorView> {
    const state = await this.state(this.deps.db, sessionId)
    const now = this.clock()
    const until = pausedUntil(state, this.deps.defaults, now)
    return {
      sessionId,
      enabled: isEnabled(this.deps.defaults, state.settings),
      settings: state.settings,
      newChatsToday: state.day === utcDay(now) ? state.newChats : 0,
      dailyCap: dailyNewChatCap(now - (state.linkedAt?.getTime() ?? now), this.deps.defaults, state.settings),
      nextNewChatAt: state.nextNewChatAt && state.nextNewChatAt.getTime() > now ? state.nextNewChatAt.toISOString() : null,
      refusalsInRow: state.refusalsInRow,
      paused:
        until !== undefined && state.pausedAt
          ? { since: state.pausedAt.toISOString(), until: new Date(until).toISOString(), reason: state.pausedReason ?? 'paused' }
          : null,
      whatsappCap: state.whatsappCap
    }
  }

  async configure(sessionId: string, settings: GovernorSettings | null): Promise<GovernorView> {
    const { sendGovernor } = tablesOf(this.deps.db)
    await this.deps.db.insert(sendGovernor).values({ sessionId, settings }).onConflictDoUpdate({ target: sendGovernor.sessionId, set: { settings } })
    return this.view(sessionId)
  }

  /** Lifts the breaker's pause before its time (the operator checked the account). */
  async resume(sessionId: string): Promise<GovernorView> {
    const { sendGovernor } = tablesOf(this.deps.db)
    await this.deps.db.update(sendGovernor).set({ pausedAt: null, pausedReason: null, refusalsInRow: 0 }).where(eq(sendGovernor.sessionId, sessionId))
    this.refusing.delete(sessionId)
    return this.view(sessionId)
  }

  private async state(db: DbExecutor, sessionId: string): Promise<typeof EMPTY> {
    const { sendGovernor } = tablesOf(db)
    const [row] = await db.select().from(sendGovernor).where(eq(sendGovernor.sessionId, sessionId))
    return row ?? EMPTY
  }

  private refusal(sessionId: string, refusal: Refusal, now: number) {
    this.deps.onRefusal?.(sessionId, refusal)
    const retryAfterSeconds = refusal.retryAt === null ? null : Math.max(1, Math.ceil((refusal.retryAt - now) / 1000))
    const details = { reason: refusal.reason, retryAt: refusal.retryAt === null ? null : new Date(refusal.retryAt).toISOString(), retryAfterSeconds }
    return appError(
      refusal.code,
      REFUSAL_MESSAGES[refusal.reason],
      details,
      retryAfterSeconds === null ? undefined : { 'Retry-After': String(retryAfterSeconds) }
    )
  }

  /** The daily cap grows from the day the account was first seen connected here. */
  private async noteLinked(sessionId: string): Promise<void> {
    const { sendGovernor } = tablesOf(this.deps.db)
    await this.deps.db
      .insert(sendGovernor)
      .values({ sessionId, linkedAt: new Date(this.clock()) })
      .onConflictDoUpdate({ target: sendGovernor.sessionId, set: { linkedAt: sql`COALESCE(${sendGovernor.linkedAt}, excluded.linked_at)` } })
  }

  /** WhatsApp says the cap in a push when it changes; ask once per connection, as a restarted host knows none. */
  private async readWhatsAppCap(sessionId: string): Promise<void> {
    const socket = this.deps.socketOf(sessionId)
    if (!socket) return
    try {
      const info = (await socket.fetchNewChatMessageCap()) as NewChatMessageCapInfo | undefined
      if (info) await this.storeCap(sessionId, toCap(info, this.clock()))
    } catch (error) {
      this.deps.logger.debug({ err: error, sessionId }, 'could not read the new-chat cap')
    }
  }

  private async storeCap(sessionId: string, cap: WhatsAppNewChatCap): Promise<void> {
    const { sendGovernor } = tablesOf(this.deps.db)
    if (cap.status === 'CAPPED' || cap.status === 'SECOND_WARNING') this.deps.logger.warn({ sessionId, cap }, "WhatsApp's new-chat cap")
    await this.deps.db
      .insert(sendGovernor)
      .values({ sessionId, whatsappCap: cap })
      .onConflictDoUpdate({ target: sendGovernor.sessionId, set: { whatsappCap: cap } })
  }

  /** Counts a 463 refusal; the one that reaches the breaker's count pauses new chats and says so. */
  private async noteRefusal(sessionId: string): Promise<void> {
    const { sendGovernor } = tablesOf(this.deps.db)
    this.refusing.add(sessionId)
    const now = new Date(this.clock())
    const session = await this.deps.viewOf(sessionId)
    const tripped = await writeTransaction(this.deps.db, async tx => {
      const [row] = await tx
        .insert(sendGovernor)
        .values({ sessionId, refusalsInRow: 1 })
        .onConflictDoUpdate({ target: sendGovernor.sessionId, set: { refusalsInRow: sql`${sendGovernor.refusalsInRow} + 1` } })
        .returning({ refusals: sendGovernor.refusalsInRow, pausedAt: sendGovernor.pausedAt })
      if (!row || row.refusals < this.deps.defaults.breakerAfter) return false
      if (row.pausedAt && row.pausedAt.getTime() + this.deps.defaults.pauseMs > now.getTime()) return false
      const reason = `whatsapp_refused_463: ${row.refusals} refusals in a row`
      await tx.update(sendGovernor).set({ pausedAt: now, pausedReason: reason }).where(eq(sendGovernor.sessionId, sessionId))
      await recordBreakerEvent(tx, { session, reason, until: new Date(now.getTime() + this.deps.defaults.pauseMs), at: now.getTime() })
      return true
    })
    if (!tripped) return
    this.deps.logger.warn({ sessionId }, 'new chats paused after repeated 463 refusals')
    this.deps.onEvent?.()
  }

  /** An accepted message ends a run of refusals (a write only when one may be counted). */
  private async noteAccepted(sessionId: string): Promise<void> {
    if (!this.refusing.has(sessionId) && this.checkedRefusals.has(sessionId)) return
    this.checkedRefusals.add(sessionId)
    this.refusing.delete(sessionId)
    const { sendGovernor } = tablesOf(this.deps.db)
    await this.deps.db
      .update(sendGovernor)
      .set({ refusalsInRow: 0 })
      .where(and(eq(sendGovernor.sessionId, sessionId), gt(sendGovernor.refusalsInRow, 0)))
  }
}
