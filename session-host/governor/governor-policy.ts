import type { GovernorSettings, WhatsAppNewChatCap } from '../../shared/send-governor.ts'

/** The host's governor settings (SEND_GOVERNOR*); a session's own settings override the first three. */
export type GovernorDefaults = {
  enabled: boolean
  /** New chats a freshly linked account may start in its first day. */
  startPerDay: number
  /** The most new chats a day, however old the account. */
  maxPerDay: number
  /** The mean gap between first messages to new chats (jittered ±50%). */
  gapMs: number
  /** 463 refusals in a row that pause new chats. */
  breakerAfter: number
  /** How long the breaker keeps new chats paused, unless an operator resumes them first. */
  pauseMs: number
}

/** What the policy reads of the stored state (one row per session). */
export type GovernorState = {
  linkedAt: Date | null
  day: string
  newChats: number
  nextNewChatAt: Date | null
  pausedAt: Date | null
  pausedReason: string | null
  whatsappCap: WhatsAppNewChatCap | null
}

export type Refusal = {
  code: 'SEND_PACED' | 'NEW_CHAT_CAP_REACHED' | 'NEW_CHATS_PAUSED'
  /** pacing, daily_cap, whatsapp_cap or paused: what the caller waits for. */
  reason: 'pacing' | 'daily_cap' | 'whatsapp_cap' | 'paused'
  /** When it may be tried again; null when unknown (WhatsApp's cap without a cycle end). */
  retryAt: number | null
}

export type Decision = { admit: true; next: Pick<GovernorState, 'day' | 'newChats' | 'nextNewChatAt' | 'whatsappCap'> } | { admit: false; refusal: Refusal }

const DAY_MS = 86_400_000

export const utcDay = (now: number): string => new Date(now).toISOString().slice(0, 10)

const nextUtcMidnight = (now: number): number => (Math.floor(now / DAY_MS) + 1) * DAY_MS

/**
 * New chats a day for an account linked `ageMs` ago: `startPerDay` on its first day, one more
 * `startPerDay` for each day it has been linked, up to `maxPerDay`. Young accounts that start many
 * chats are what WhatsApp restricts first (SERVER-2026.md §3.2).
 */
export const dailyNewChatCap = (ageMs: number, defaults: GovernorDefaults, settings: GovernorSettings | null): number =>
  settings?.newChatsPerDay ?? Math.min(defaults.maxPerDay, defaults.startPerDay * (1 + Math.floor(Math.max(0, ageMs) / DAY_MS)))

export const isEnabled = (defaults: GovernorDefaults, settings: GovernorSettings | null): boolean => defaults.enabled && settings?.enabled !== false

/** Whether WhatsApp's own cap stops new chats now, and until when (null: until it says otherwise). */
export const whatsappCapReached = (cap: WhatsAppNewChatCap | null, now: number): { until: number | null } | undefined => {
  if (!cap) return undefined
  const ends = cap.cycleEndsAt ? Date.parse(cap.cycleEndsAt) : null
  if (ends !== null && ends <= now) return undefined
  const used = cap.used !== null && cap.total !== null && cap.used >= cap.total
  return cap.status === 'CAPPED' || used ? { until: ends } : undefined
}

export const pausedUntil = (state: GovernorState, defaults: GovernorDefaults, now: number): number | undefined => {
  if (!state.pausedAt) return undefined
  const until = state.pausedAt.getTime() + defaults.pauseMs
  return until > now ? until : undefined
}

/**
 * Whether a first message to a new chat may go now. OTPs are never paced (a user is waiting) and
 * pass the host's daily cap, but count toward it; WhatsApp's own cap and the 463 breaker stop them
 * too, with a code of their own so the caller can fall back to another channel at once.
 */
export const decideNewChat = (input: {
  state: GovernorState
  settings: GovernorSettings | null
  defaults: GovernorDefaults
  otp: boolean
  now: number
  /** In [0, 1): the pacing's jitter. */
  random: number
}): Decision => {
  const { state, settings, defaults, otp, now } = input
  const refuse = (reason: Refusal['reason'], retryAt: number | null): Decision => ({
    admit: false,
    refusal: {
      code: !otp ? 'SEND_PACED' : reason === 'paused' ? 'NEW_CHATS_PAUSED' : 'NEW_CHAT_CAP_REACHED',
      reason,
      retryAt
    }
  })
  const paused = pausedUntil(state, defaults, now)
  if (paused !== undefined) return refuse('paused', paused)
  const capped = whatsappCapReached(state.whatsappCap, now)
  if (capped) return refuse('whatsapp_cap', capped.until)
  const today = utcDay(now)
  const newChats = state.day === today ? state.newChats : 0
  if (!otp) {
    const linkedAt = state.linkedAt?.getTime() ?? now
    if (newChats >= dailyNewChatCap(now - linkedAt, defaults, settings)) return refuse('daily_cap', nextUtcMidnight(now))
    if (state.nextNewChatAt && state.nextNewChatAt.getTime() > now) return refuse('pacing', state.nextNewChatAt.getTime())
  }
  const gapMs = (settings?.newChatGapSeconds !== undefined ? settings.newChatGapSeconds * 1000 : defaults.gapMs) * (0.5 + input.random)
  // An OTP does not wait, but the next other first message waits after it as after any other.
  const earliest = Math.max(now, state.nextNewChatAt?.getTime() ?? 0)
  const cap = state.whatsappCap
  return {
    admit: true,
    next: {
      day: today,
      newChats: newChats + 1,
      nextNewChatAt: new Date((otp ? earliest : now) + gapMs),
      // Counted here too, so the cap holds between the server's reports.
      whatsappCap: cap && cap.used !== null ? { ...cap, used: cap.used + 1 } : cap
    }
  }
}
