import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { eq } from 'drizzle-orm'
import pino from 'pino'
import { tablesOf } from '../db/database.ts'
import { openSqlite } from '../db/sqlite-database.ts'
import type { Fence } from '../fleet/session-leases.ts'
import { addLeasedSession } from '../../test/support/leased-session.ts'
import { WaSim } from '../sim/index.ts'
import { WaSession } from './wa-session.ts'
import type { SessionEvent } from './session-event.ts'

const logger = pino({ level: 'silent' })

const waitFor = <T>(check: () => T | undefined, what: string, timeoutMs = 10_000): Promise<T> =>
  new Promise((resolve, reject) => {
    const started = Date.now()
    const poll = setInterval(() => {
      const value = check()
      if (value !== undefined) {
        clearInterval(poll)
        resolve(value)
      } else if (Date.now() - started > timeoutMs) {
        clearInterval(poll)
        reject(new Error(`timed out waiting for ${what}`))
      }
    }, 10)
  })

describe('one WhatsApp session on the emulator', () => {
  const sim = new WaSim()
  const dir = mkdtempSync(join(tmpdir(), 'wa-session-'))
  const database = openSqlite(join(dir, 'host.db'))
  const { authCreds, authKeys, sessions } = tablesOf(database.db)
  let url: string
  before(async () => {
    url = await sim.start()
  })
  after(async () => {
    await sim.stop()
    await database.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const newSession = (id: string, fence: Fence, events: SessionEvent[]) =>
    new WaSession({
      id,
      db: database.db,
      fence,
      logger,
      socket: { waWebSocketUrl: url, connectTimeoutMs: 10_000, defaultQueryTimeoutMs: 10_000 },
      backoff: { baseMs: 50, maxMs: 200 },
      onEvent: event => events.push(event)
    })

  it('links by QR, records the number, reconnects after a drop, and comes back after a restart without a QR', async () => {
    const fence = await addLeasedSession(database.db, 'shop-1')
    const events: SessionEvent[] = []
    const session = newSession('shop-1', fence, events)
    session.start()
    const qr = await waitFor(() => events.find(e => e.type === 'qr'), 'a QR event')
    assert.equal(qr.type === 'qr' && qr.qr.startsWith('https://wa.me/settings/linked_devices#'), true)
    assert.equal(qr.type, 'qr')
    await sim.linkWithQr(() => session.qr, { accountPn: '15550070001' })
    await waitFor(() => (session.status === 'connected' ? true : undefined), 'connected')
    const [row] = await database.db.select().from(sessions).where(eq(sessions.id, 'shop-1'))
    assert.equal(row?.status, 'connected')
    assert.equal(row?.phoneNumber, '15550070001')

    sim.drop('15550070001')
    await waitFor(() => events.find(e => e.type === 'status' && e.status === 'disconnected'), 'disconnected')
    await waitFor(() => (session.status === 'connected' ? true : undefined), 'reconnected')

    await session.stop()
    const restartedEvents: SessionEvent[] = []
    const restarted = newSession('shop-1', fence, restartedEvents)
    restarted.start()
    await waitFor(() => (restarted.status === 'connected' ? true : undefined), 'connected after restart')
    assert.equal(restartedEvents.filter(e => e.type === 'qr').length, 0)
    await restarted.stop()
  })

  it('wipes its auth state and stops retrying when WhatsApp logs it out', async () => {
    const fence = await addLeasedSession(database.db, 'shop-2')
    const events: SessionEvent[] = []
    const session = newSession('shop-2', fence, events)
    session.start()
    await waitFor(() => events.find(e => e.type === 'qr'), 'a QR event')
    await sim.linkWithQr(() => session.qr, { accountPn: '15550070002' })
    await waitFor(() => (session.status === 'connected' ? true : undefined), 'connected')
    let logins = 0
    const onLogin = () => logins++
    sim.on('login', onLogin)
    try {
      sim.logout('15550070002')
      await waitFor(() => (session.status === 'logged_out' ? true : undefined), 'logged out')
      await new Promise(resolve => setTimeout(resolve, 500))
      assert.equal(logins, 0)
      assert.equal(session.status, 'logged_out')
      assert.equal((await database.db.select().from(authKeys).where(eq(authKeys.sessionId, 'shop-2'))).length, 0)
      assert.equal((await database.db.select().from(sessions).where(eq(sessions.id, 'shop-2')))[0]?.status, 'logged_out')
    } finally {
      sim.off('login', onLogin)
      await session.stop()
    }
  })

  it('ends in link_failed (refs_exhausted) when no QR is scanned and stops there; a pairing code starts a new registration, which expires the same way', async () => {
    // Two refs that live 150 ms each: rc14 ends the registration with 408 once they are shown.
    const quick = new WaSim({ qrRefs: 2 })
    const quickUrl = await quick.start()
    let registrations = 0
    quick.on('registration', () => registrations++)
    const fence = await addLeasedSession(database.db, 'shop-3')
    const events: SessionEvent[] = []
    const session = new WaSession({
      id: 'shop-3',
      db: database.db,
      fence,
      logger,
      socket: { waWebSocketUrl: quickUrl, qrTimeout: 150, connectTimeoutMs: 10_000, defaultQueryTimeoutMs: 10_000 },
      backoff: { baseMs: 50, maxMs: 200 },
      onEvent: event => events.push(event)
    })
    try {
      session.start()
      const failed = await waitFor(() => events.find(e => e.type === 'status' && e.status === 'link_failed'), 'link_failed')
      assert.deepEqual(failed.type === 'status' && failed.linkFailure, { reason: 'refs_exhausted' })
      await new Promise(resolve => setTimeout(resolve, 500))
      assert.equal(registrations, 1, 'a failed link is not retried by itself')
      assert.equal(session.status, 'link_failed')
      const [row] = await database.db.select().from(sessions).where(eq(sessions.id, 'shop-3'))
      assert.deepEqual([row?.status, row?.linkFailure], ['link_failed', { reason: 'refs_exhausted' }])

      const code = await session.requestPairingCode('15550070003')
      assert.match(code, /^[1-9A-HJ-NP-TV-Z]{8}$/)
      assert.equal(registrations, 2)
      const expired = await waitFor(() => events.filter(e => e.type === 'status' && e.status === 'link_failed')[1], 'the second link_failed')
      assert.deepEqual(expired.type === 'status' && expired.linkFailure, { reason: 'pairing_code_expired' })
      // The half-made registration (the code's `me`) is gone: the next attempt registers afresh.
      assert.equal((await database.db.select().from(authCreds).where(eq(authCreds.sessionId, 'shop-3'))).length, 0)
    } finally {
      await session.stop()
      await quick.stop()
    }
  })
})
