import { afterEach } from 'node:test'
import assert from 'node:assert/strict'
import { createHmac, randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { eq } from 'drizzle-orm'
import { AppError } from '../../shared/errors.ts'
import { openDatabase } from '../db/connection.ts'
import type { Db } from '../db/connection.ts'
import { otps, sessions } from '../db/schema.ts'
import { createOtp, verifyOtp } from './otp-store.ts'
import type { VerifyAnswer } from '../../shared/host-api/otp.ts'
import type { OtpDeps } from './otp-store.ts'

/** The OTP store tests' fixture: a fresh database file per test, a movable clock, and the gateway's hashing. */
export const SESSION = 'shop-1'
export const TO = '6281234567890'
export const T0 = Date.UTC(2030, 0, 1)
const PEPPER = 'test-pepper'

// What the gateway does: a keyed hash bound to the OTP id.
export const hash = (otpId: string, code: string): string => createHmac('sha256', PEPPER).update(`${otpId}:${code}`).digest('base64url')

export type Fixture = { deps: OtpDeps; file: string; setNow(ms: number): void; advance(ms: number): void; open(): OtpDeps }

/** Run after each test, newest first; a test may add its own (worker threads, extra connections). */
export const cleanups: Array<() => void> = []
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup()
})

export const setup = (): Fixture => {
  const dir = mkdtempSync(join(tmpdir(), 'otp-store-'))
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'host.db')
  let now = T0
  const clock = (): number => now
  const open = (): OtpDeps => {
    const connection = openDatabase(file)
    cleanups.push(connection.close)
    return { db: connection.db, clock }
  }
  const deps = open()
  deps.db.insert(sessions).values({ id: SESSION }).run()
  return { deps, file, open, setNow: ms => (now = ms), advance: ms => (now += ms) }
}

export const send = (deps: OtpDeps, options: { code?: string; to?: string; sessionId?: string; maxAttempts?: number; ttlSeconds?: number } = {}) => {
  const id = randomUUID()
  const otp = createOtp(deps, {
    id,
    sessionId: options.sessionId ?? SESSION,
    destination: options.to ?? TO,
    codeHash: hash(id, options.code ?? '123456'),
    ttlSeconds: options.ttlSeconds ?? 300,
    ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts })
  })
  return otp
}

export const verify = (deps: OtpDeps, otpId: string, code: string): VerifyAnswer => verifyOtp(deps, { otpId, codeHash: hash(otpId, code) })

export const isAppError = (code: string, check?: (error: AppError) => void) => (error: unknown) => {
  assert.ok(error instanceof AppError, `expected an AppError, got ${String(error)}`)
  assert.equal(error.code, code)
  check?.(error)
  return true
}

export const storedHash = (db: Db, otpId: string): string | undefined =>
  db.select({ codeHash: otps.codeHash }).from(otps).where(eq(otps.id, otpId)).get()?.codeHash
