import { afterEach } from 'node:test'
import assert from 'node:assert/strict'
import { createHmac, randomUUID } from 'node:crypto'
import { eq } from 'drizzle-orm'
import { AppError } from '../../shared/errors.ts'
import { openTestDatabase } from '../../test/support/test-database.ts'
import { tablesOf } from '../db/database.ts'
import type { Db, Engine } from '../db/database.ts'
import { createOtp, verifyOtp } from './otp-store.ts'
import type { VerifyAnswer } from '../../shared/host-api/otp.ts'
import type { OtpDeps } from './otp-store.ts'
import type { OtpRecord } from './otp-view.ts'

/** The OTP store tests' fixture: a fresh database per test on the given engine, a movable clock, and the gateway's hashing. */
export const SESSION = 'shop-1'
export const TO = '6281234567890'
export const T0 = Date.UTC(2030, 0, 1)
const PEPPER = 'test-pepper'

// What the gateway does: a keyed hash bound to the OTP id.
export const hash = (otpId: string, code: string): string => createHmac('sha256', PEPPER).update(`${otpId}:${code}`).digest('base64url')

export type Fixture = {
  deps: OtpDeps
  /** The SQLite file or the PostgreSQL URL, for connections the test opens itself (worker threads). */
  location: string
  setNow(ms: number): void
  advance(ms: number): void
  /** Deps on another connection (SQLite) or pool (PostgreSQL) to the same database, on the same clock. */
  connect(): Promise<OtpDeps>
}

/** Run after each test, newest first; a test may add its own (worker threads). */
export const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

export const setup = async (engine: Engine): Promise<Fixture> => {
  const database = await openTestDatabase(engine)
  cleanups.push(database.dispose)
  let now = T0
  const clock = (): number => now
  const deps = { db: database.db, clock }
  await addSession(deps.db, SESSION)
  return {
    deps,
    location: database.location,
    connect: async () => ({ db: (await database.connect()).db, clock }),
    setNow: ms => (now = ms),
    advance: ms => (now += ms)
  }
}

export const addSession = async (db: Db, id: string): Promise<void> => {
  await db.insert(tablesOf(db).sessions).values({ id })
}

export const send = (
  deps: OtpDeps,
  options: { code?: string; to?: string; sessionId?: string; maxAttempts?: number; ttlSeconds?: number } = {}
): Promise<OtpRecord> => {
  const id = randomUUID()
  return createOtp(deps, {
    id,
    sessionId: options.sessionId ?? SESSION,
    destination: options.to ?? TO,
    codeHash: hash(id, options.code ?? '123456'),
    ttlSeconds: options.ttlSeconds ?? 300,
    ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts })
  })
}

export const verify = (deps: OtpDeps, otpId: string, code: string): Promise<VerifyAnswer> => verifyOtp(deps, { otpId, codeHash: hash(otpId, code) })

export const isAppError = (code: string, check?: (error: AppError) => void) => (error: unknown) => {
  assert.ok(error instanceof AppError, `expected an AppError, got ${String(error)}`)
  assert.equal(error.code, code)
  check?.(error)
  return true
}

export const storedHash = async (db: Db, otpId: string): Promise<string | undefined> => {
  const { otps } = tablesOf(db)
  const [row] = await db.select({ codeHash: otps.codeHash }).from(otps).where(eq(otps.id, otpId))
  return row?.codeHash
}
