import { eq } from 'drizzle-orm'
import { appError } from '../../shared/errors.ts'
import { tablesOf } from '../db/database.ts'
import type { Db, DbExecutor } from '../db/database.ts'

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
export const setSessionEndpoint = async (tx: DbExecutor, input: SetEndpointInput): Promise<EndpointView & { secretCreated: boolean }> => {
  const { sessions, webhookEndpoints } = tablesOf(tx)
  const now = input.now ?? Date.now()
  const [session] = await tx.select({ id: sessions.id }).from(sessions).where(eq(sessions.id, input.sessionId))
  if (!session) throw appError('SESSION_NOT_FOUND', `Session ${input.sessionId} does not exist`)
  const [existing] = await tx.select().from(webhookEndpoints).where(eq(webhookEndpoints.sessionId, input.sessionId))
  const kept = (existing?.secrets ?? []).filter(s => s.expiresAt === undefined || s.expiresAt > now)
  const newSecret = input.newSecret ?? (kept.length === 0 ? input.secretIfNone : undefined)
  const secrets = newSecret
    ? [{ secret: newSecret }, ...kept.map(s => ({ secret: s.secret, expiresAt: Math.min(s.expiresAt ?? Infinity, now + SECRET_ROTATION_GRACE_MS) }))]
    : kept
  if (secrets.length === 0) throw appError('VALIDATION_ERROR', 'A new webhook needs a secret', { field: 'secret' })
  const events = input.events ?? null
  if (existing) {
    await tx
      .update(webhookEndpoints)
      .set({ url: input.url, events, secrets, updatedAt: new Date(now) })
      .where(eq(webhookEndpoints.id, existing.id))
  } else {
    const id = `whe_${Buffer.from(crypto.getRandomValues(new Uint8Array(12))).toString('base64url')}`
    await tx
      .insert(webhookEndpoints)
      .values({ id, sessionId: input.sessionId, url: input.url, events, secrets, createdAt: new Date(now), updatedAt: new Date(now) })
  }
  return { sessionId: input.sessionId, url: input.url, events, secretCreated: newSecret !== undefined && newSecret === input.secretIfNone }
}

export const getSessionEndpoint = async (db: Db, sessionId: string): Promise<EndpointView> => {
  const { webhookEndpoints } = tablesOf(db)
  const [row] = await db.select().from(webhookEndpoints).where(eq(webhookEndpoints.sessionId, sessionId))
  if (!row) throw appError('NOT_FOUND', `Session ${sessionId} has no webhook`)
  return { sessionId, url: row.url, events: row.events }
}

/** Removes a session's webhook; its undelivered events go with it. */
export const removeSessionEndpoint = async (db: Db, sessionId: string): Promise<void> => {
  const { webhookEndpoints } = tablesOf(db)
  const removed = await db.delete(webhookEndpoints).where(eq(webhookEndpoints.sessionId, sessionId)).returning({ id: webhookEndpoints.id })
  if (removed.length === 0) throw appError('NOT_FOUND', `Session ${sessionId} has no webhook`)
}

/**
 * Makes the global endpoint match the configuration (WEBHOOK_URL, WEBHOOK_SECRET, WEBHOOK_EVENTS):
 * created, updated in place (its pending deliveries follow the new URL), or removed when unset.
 */
export const syncGlobalEndpoint = async (db: Db, config: { url?: string; secrets: string[]; events?: string[] }): Promise<void> => {
  const { webhookEndpoints } = tablesOf(db)
  if (!config.url) {
    await db.delete(webhookEndpoints).where(eq(webhookEndpoints.id, GLOBAL_ENDPOINT_ID))
    return
  }
  const values = { url: config.url, events: config.events ?? null, secrets: config.secrets.map(secret => ({ secret })), updatedAt: new Date() }
  await db
    .insert(webhookEndpoints)
    .values({ id: GLOBAL_ENDPOINT_ID, sessionId: null, ...values })
    .onConflictDoUpdate({ target: webhookEndpoints.id, set: values })
}
