import { eq } from 'drizzle-orm'
import { appError } from '../../shared/errors.ts'
import type { Db, DbExecutor } from '../db/connection.ts'
import { sessions, webhookEndpoints } from '../db/schema.ts'

export const GLOBAL_ENDPOINT_ID = 'global'

/** How long the previous secret keeps signing after a rotation, so receivers can switch over. */
export const SECRET_ROTATION_GRACE_MS = 24 * 60 * 60 * 1000

type StoredSecret = { secret: string; expiresAt?: number }

/** A session's webhook as the API shows it: never its secrets. */
export type EndpointView = { sessionId: string; url: string; events: string[] | null }

export type SetEndpointInput = {
  sessionId: string
  url: string
  events?: string[] | null
  /** Rotates: this secret signs first from now on. */
  newSecret?: string
  /** Used only when the endpoint has no active secret (a new webhook). */
  secretIfNone?: string
  now?: number
}

/** The secrets that sign a delivery now, newest first. */
export const activeSecrets = (secrets: StoredSecret[], now: number): string[] =>
  secrets.filter(s => s.expiresAt === undefined || s.expiresAt > now).map(s => s.secret)

/**
 * Sets a session's webhook. With a new secret, the new one signs first and the old ones stay active
 * for the grace period (receivers accept any listed signature); without one, the secrets are kept.
 */
export const setSessionEndpoint = (tx: DbExecutor, input: SetEndpointInput): EndpointView & { secretCreated: boolean } => {
  const now = input.now ?? Date.now()
  if (!tx.select({ id: sessions.id }).from(sessions).where(eq(sessions.id, input.sessionId)).get()) {
    throw appError('SESSION_NOT_FOUND', `Session ${input.sessionId} does not exist`)
  }
  const existing = tx.select().from(webhookEndpoints).where(eq(webhookEndpoints.sessionId, input.sessionId)).get()
  const kept = (existing?.secrets ?? []).filter(s => s.expiresAt === undefined || s.expiresAt > now)
  const newSecret = input.newSecret ?? (kept.length === 0 ? input.secretIfNone : undefined)
  const secrets = newSecret
    ? [{ secret: newSecret }, ...kept.map(s => ({ secret: s.secret, expiresAt: Math.min(s.expiresAt ?? Infinity, now + SECRET_ROTATION_GRACE_MS) }))]
    : kept
  if (secrets.length === 0) throw appError('VALIDATION_ERROR', 'A new webhook needs a secret', { field: 'secret' })
  const events = input.events ?? null
  if (existing) {
    tx.update(webhookEndpoints)
      .set({ url: input.url, events, secrets, updatedAt: new Date(now) })
      .where(eq(webhookEndpoints.id, existing.id))
      .run()
  } else {
    const id = `whe_${Buffer.from(crypto.getRandomValues(new Uint8Array(12))).toString('base64url')}`
    tx.insert(webhookEndpoints)
      .values({ id, sessionId: input.sessionId, url: input.url, events, secrets, createdAt: new Date(now), updatedAt: new Date(now) })
      .run()
  }
  return { sessionId: input.sessionId, url: input.url, events, secretCreated: newSecret !== undefined && newSecret === input.secretIfNone }
}

export const getSessionEndpoint = (db: Db, sessionId: string): EndpointView => {
  const row = db.select().from(webhookEndpoints).where(eq(webhookEndpoints.sessionId, sessionId)).get()
  if (!row) throw appError('NOT_FOUND', `Session ${sessionId} has no webhook`)
  return { sessionId, url: row.url, events: row.events }
}

/** Removes a session's webhook; its undelivered events go with it. */
export const removeSessionEndpoint = (db: Db, sessionId: string): void => {
  const removed = db.delete(webhookEndpoints).where(eq(webhookEndpoints.sessionId, sessionId)).returning({ id: webhookEndpoints.id }).all()
  if (removed.length === 0) throw appError('NOT_FOUND', `Session ${sessionId} has no webhook`)
}

/**
 * Makes the global endpoint match the configuration (WEBHOOK_URL, WEBHOOK_SECRET, WEBHOOK_EVENTS):
 * created, updated in place (its pending deliveries follow the new URL), or removed when unset.
 */
export const syncGlobalEndpoint = (db: Db, config: { url?: string; secrets: string[]; events?: string[] }): void => {
  if (!config.url) {
    db.delete(webhookEndpoints).where(eq(webhookEndpoints.id, GLOBAL_ENDPOINT_ID)).run()
    return
  }
  const values = { url: config.url, events: config.events ?? null, secrets: config.secrets.map(secret => ({ secret })), updatedAt: new Date() }
  db.insert(webhookEndpoints)
    .values({ id: GLOBAL_ENDPOINT_ID, sessionId: null, ...values })
    .onConflictDoUpdate({ target: webhookEndpoints.id, set: values })
    .run()
}
