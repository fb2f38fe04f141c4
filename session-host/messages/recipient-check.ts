import type { WASocket } from '@whiskeysockets/baileys'
import { and, eq, gt, sql } from 'drizzle-orm'
import { appError } from '../../shared/errors.ts'
import { tablesOf } from '../db/database.ts'
import type { Db } from '../db/database.ts'
import { momentPlaceholder } from '../db/dialect-sql.ts'
import { reusedStatement } from '../db/reused-statement.ts'
import type { SessionManager } from '../sessions/session-manager.ts'

/** What a message that failed the check before it went out says (the message's and its OTP's `error`). */
export const NOT_ON_WHATSAPP_FAILURE = 'not_on_whatsapp: the number has no WhatsApp account'

export type RecipientCheck = {
  /** Whether WhatsApp knows the number: a fresh stored answer, else asked through the session and stored. */
  isOnWhatsApp(sessionId: string, socket: WASocket, jid: string): Promise<boolean>
  /** The fresh stored answer, without asking WhatsApp; undefined when there is none. */
  stored(sessionId: string, jid: string): Promise<boolean | undefined>
  /** Refuses with 422 NOT_ON_WHATSAPP before anything is sent to a number WhatsApp does not know. */
  require(sessionId: string, socket: WASocket, jid: string): Promise<void>
}

const notOnWhatsApp = (jid: string) => {
  const number = `+${jid.split('@')[0]}`
  return appError('NOT_ON_WHATSAPP', `${number} is not on WhatsApp`, { to: number })
}

/** The answer stored for a number since `since`; one question per OTP, so built once (db/reused-statement.ts). */
const storedAnswer = reusedStatement(on => {
  const { recipientChecks } = tablesOf(on)
  return on
    .select({ onWhatsApp: recipientChecks.onWhatsApp })
    .from(recipientChecks)
    .where(
      and(
        eq(recipientChecks.sessionId, sql.placeholder('sessionId')),
        eq(recipientChecks.jid, sql.placeholder('jid')),
        gt(recipientChecks.checkedAt, momentPlaceholder(on, 'since', recipientChecks.checkedAt))
      )
    )
})

/** Stores WhatsApp's answer for a number, replacing an older one. */
const storeAnswer = reusedStatement(on => {
  const { recipientChecks } = tablesOf(on)
  return on
    .insert(recipientChecks)
    .values({
      sessionId: sql.placeholder('sessionId'),
      jid: sql.placeholder('jid'),
      onWhatsApp: sql.placeholder('onWhatsApp'),
      checkedAt: sql.placeholder('checkedAt')
    })
    .onConflictDoUpdate({
      target: [recipientChecks.sessionId, recipientChecks.jid],
      set: { onWhatsApp: sql`excluded.on_whatsapp`, checkedAt: sql`excluded.checked_at` }
    })
})

/**
 * Asks WhatsApp (a usync contact query) whether a number has an account: a send to a number
 * without one is accepted by Baileys and lost, and such sends are reported to bring restrictions
 * on the whole account. Answers are kept per session in the database for `ttlMs` (by the injected
 * clock, as every other timestamp the host writes), so a burst of OTPs to one number costs one
 * query, and a restart or another host of the fleet asks nothing again. Identical questions in
 * flight at once share one query.
 */
export const createRecipientCheck = ({ db, ttlMs, clock = Date.now }: { db: Db; ttlMs: number; clock?: () => number }): RecipientCheck => {
  const inFlight = new Map<string, Promise<boolean>>()

  const stored = async (sessionId: string, jid: string): Promise<boolean | undefined> => {
    const [row] = await storedAnswer(db).execute({ sessionId, jid, since: new Date(clock() - ttlMs) })
    return row?.onWhatsApp
  }

  const ask = async (sessionId: string, socket: WASocket, jid: string): Promise<boolean> => {
    const known = await stored(sessionId, jid)
    if (known !== undefined) return known
    const results = await socket.onWhatsApp(jid)
    const onWhatsApp = results?.some(result => result.exists) ?? false
    const checkedAt = new Date(clock())
    // Not fenced by the session's lease: the answer is WhatsApp's, true whichever host asked.
    await storeAnswer(db).execute({ sessionId, jid, onWhatsApp, checkedAt })
    return onWhatsApp
  }

  const isOnWhatsApp = (sessionId: string, socket: WASocket, jid: string): Promise<boolean> => {
    const key = `${sessionId}\n${jid}`
    // Entries leave as their query settles, so the map holds at most the questions being asked.
    let asked = inFlight.get(key)
    if (asked === undefined) {
      asked = ask(sessionId, socket, jid).finally(() => inFlight.delete(key))
      inFlight.set(key, asked)
    }
    return asked
  }

  return {
    isOnWhatsApp,
    stored,
    async require(sessionId, socket, jid) {
      if (!(await isOnWhatsApp(sessionId, socket, jid))) throw notOnWhatsApp(jid)
    }
  }
}

/**
 * Refuses a number WhatsApp does not know before anything is recorded. A session connected here
 * asks (or reads the stored answer); one that is not (reconnecting, or run by another host) still
 * refuses a number stored as not on WhatsApp, and lets an unknown one through: the send queue asks
 * before the message goes out (a host that does not run the session answers SESSION_MOVED anyway).
 */
export const checkRecipient = async (deps: { sessions: SessionManager; recipients?: RecipientCheck }, sessionId: string, jid: string): Promise<void> => {
  const { recipients } = deps
  if (!recipients) return
  const socket = deps.sessions.connectedSocket(sessionId)
  if (socket) await recipients.require(sessionId, socket, jid)
  else if ((await recipients.stored(sessionId, jid)) === false) throw notOnWhatsApp(jid)
}
