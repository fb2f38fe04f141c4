import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { eq } from 'drizzle-orm'
import pino from 'pino'
import { openDatabase } from '../db/connection.ts'
import { authKeys, sessions } from '../db/schema.ts'
import { WaSim } from '../sim/index.ts'
import { WaSession } from './wa-session.ts'
import type { SessionEvent } from './wa-session.ts'

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
  const database = openDatabase(join(dir, 'host.db'))
  let url: string
  before(async () => {
    url = await sim.start()
  })
  after(async () => {
    await sim.stop()
    database.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const newSession = (id: string, events: SessionEvent[]) =>
    new WaSession({
      id,
      db: database.db,
      logger,
      socket: { waWebSocketUrl: url, connectTimeoutMs: 10_000, defaultQueryTimeoutMs: 10_000 },
      backoff: { baseMs: 50, maxMs: 200 },
      onEvent: event => events.push(event)
    })

  it('links by QR, records the number, reconnects after a drop, and comes back after a restart without a QR', async () => {
    database.db.insert(sessions).values({ id: 'shop-1' }).run()
    const events: SessionEvent[] = []
    const session = newSession('shop-1', events)
    session.start()
    const qr = await waitFor(() => events.find(e => e.type === 'qr'), 'a QR event')
    assert.equal(qr.type === 'qr' && qr.qr.startsWith('https://wa.me/settings/linked_devices#'), true)
    if (qr.type === 'qr') await sim.scanQr(qr.qr, { accountPn: '15550070001' })
    await waitFor(() => (session.status === 'connected' ? true : undefined), 'connected')
    const row = database.db.select().from(sessions).where(eq(sessions.id, 'shop-1')).get()
    assert.equal(row?.status, 'connected')
    assert.equal(row?.phoneNumber, '15550070001')

    sim.drop('15550070001')
    await waitFor(() => events.find(e => e.type === 'status' && e.status === 'disconnected'), 'disconnected')
    await waitFor(() => (session.status === 'connected' ? true : undefined), 'reconnected')

    await session.stop()
    const restartedEvents: SessionEvent[] = []
    const restarted = newSession('shop-1', restartedEvents)
    restarted.start()
    await waitFor(() => (restarted.status === 'connected' ? true : undefined), 'connected after restart')
    assert.equal(restartedEvents.filter(e => e.type === 'qr').length, 0)
    await restarted.stop()
  })

  it('wipes its auth state and stops retrying when WhatsApp logs it out', async () => {
    database.db.insert(sessions).values({ id: 'shop-2' }).run()
    const events: SessionEvent[] = []
    const session = newSession('shop-2', events)
    session.start()
    const qr = await waitFor(() => events.find(e => e.type === 'qr'), 'a QR event')
    if (qr.type === 'qr') await sim.scanQr(qr.qr, { accountPn: '15550070002' })
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
      assert.equal(database.db.select().from(authKeys).where(eq(authKeys.sessionId, 'shop-2')).all().length, 0)
      assert.equal(database.db.select().from(sessions).where(eq(sessions.id, 'shop-2')).get()?.status, 'logged_out')
    } finally {
      sim.off('login', onLogin)
      await session.stop()
    }
  })
})
