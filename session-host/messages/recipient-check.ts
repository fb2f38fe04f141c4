import type { WASocket } from '@whiskeysockets/baileys'
import { appError } from '../../shared/errors.ts'
import type { SessionManager } from '../sessions/session-manager.ts'

export type RecipientCheck = {
  /** Whether WhatsApp knows the number, asked through the session (answers cached briefly). */
  isOnWhatsApp(sessionId: string, socket: WASocket, jid: string): Promise<boolean>
  /** Refuses with 422 NOT_ON_WHATSAPP before anything is sent to a number WhatsApp does not know. */
  require(sessionId: string, socket: WASocket, jid: string): Promise<void>
}

/**
 * Asks WhatsApp (a usync contact query) whether a number has an account. A send to a number
 * without one is otherwise accepted by Baileys and lost; asking first gives the caller a clear
 * answer. Answers are kept for `ttlMs` so a burst to one number costs one query.
 */
export const createRecipientCheck = ({
  ttlMs = 60_000,
  maxEntries = 10_000,
  clock = Date.now
}: {
  ttlMs?: number
  maxEntries?: number
  clock?: () => number
} = {}): RecipientCheck => {
  const answers = new Map<string, { onWhatsApp: boolean; until: number }>()
  const isOnWhatsApp = async (sessionId: string, socket: WASocket, jid: string): Promise<boolean> => {
    const key = `${sessionId}|${jid}`
    const cached = answers.get(key)
    if (cached && cached.until > clock()) return cached.onWhatsApp
    const results = await socket.onWhatsApp(jid)
    const onWhatsApp = results?.some(result => result.exists) ?? false
    answers.delete(key)
    if (answers.size >= maxEntries) answers.delete(answers.keys().next().value!)
    answers.set(key, { onWhatsApp, until: clock() + ttlMs })
    return onWhatsApp
  }
  return {
    isOnWhatsApp,
    async require(sessionId, socket, jid) {
      if (!(await isOnWhatsApp(sessionId, socket, jid))) {
        const number = `+${jid.split('@')[0]}`
        throw appError('NOT_ON_WHATSAPP', `${number} is not on WhatsApp`, { to: number })
      }
    }
  }
}

/** Checks the number while the session is connected; a reconnecting session queues unchecked. */
export const checkRecipient = async (deps: { sessions: SessionManager; recipients?: RecipientCheck }, sessionId: string, jid: string): Promise<void> => {
  // Not connected here (another host runs it, or it is away): no check now; acceptSend then answers
  // SESSION_MOVED, and the host running the session checks when the gateway retries there.
  const socket = deps.sessions.connectedSocket(sessionId)
  if (socket) await deps.recipients?.require(sessionId, socket, jid)
}
