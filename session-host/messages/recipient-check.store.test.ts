import { afterEach, beforeEach, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { WASocket } from '@whiskeysockets/baileys'
import { eq } from 'drizzle-orm'
import { AppError } from '../../shared/errors.ts'
import { addLeasedSession } from '../../test/support/leased-session.ts'
import { ENGINES, openTestDatabase } from '../../test/support/test-database.ts'
import type { TestDatabase } from '../../test/support/test-database.ts'
import { tablesOf } from '../db/database.ts'
import type { SessionManager } from '../sessions/session-manager.ts'
import { checkRecipient, createRecipientCheck } from './recipient-check.ts'

const T0 = 1_800_000_000_000
const TTL = 86_400_000
const ALICE = '15550002222@s.whatsapp.net'
const NOBODY = '15550000000@s.whatsapp.net'

/** A socket that answers usync contact queries from `onWhatsApp`, counting each, as WhatsApp would see them. */
const fakeSocket = (onWhatsApp: Set<string>) => {
  const asked: string[] = []
  let hold: Promise<void> | undefined
  const socket = {
    onWhatsApp: async (jid: string) => {
      asked.push(jid)
      await hold
      return [{ jid, exists: onWhatsApp.has(jid) }]
    }
  } as unknown as WASocket
  return { socket, asked, holdAnswers: (until: Promise<void>) => (hold = until) }
}

const refusal = (jid: string) => (error: unknown) => {
  assert.ok(error instanceof AppError, String(error))
  assert.equal(error.code, 'NOT_ON_WHATSAPP')
  assert.deepEqual(error.details, { to: `+${jid.split('@')[0]}` })
  return true
}

for (const engine of ENGINES)
  describe(`recipient check store (${engine})`, () => {
    let database: TestDatabase
    let now = T0
    const clock = () => now
    const check = () => createRecipientCheck({ db: database.db, ttlMs: TTL, clock })

    beforeEach(async () => {
      database = await openTestDatabase(engine)
      now = T0
      await addLeasedSession(database.db, 'shop-1')
      await addLeasedSession(database.db, 'shop-2')
    })
    afterEach(() => database.dispose())

    it('asks WhatsApp once while its answer is fresh', async () => {
      const whatsapp = fakeSocket(new Set([ALICE]))
      const recipients = check()
      assert.equal(await recipients.isOnWhatsApp('shop-1', whatsapp.socket, ALICE), true)
      assert.equal(await recipients.isOnWhatsApp('shop-1', whatsapp.socket, NOBODY), false)
      now += TTL - 1
      assert.equal(await recipients.isOnWhatsApp('shop-1', whatsapp.socket, ALICE), true)
      await assert.rejects(recipients.require('shop-1', whatsapp.socket, NOBODY), refusal(NOBODY))
      assert.deepEqual(whatsapp.asked, [ALICE, NOBODY])
    })

    it('asks again once the answer is TTL old, and keeps the new answer', async () => {
      const onWhatsApp = new Set<string>()
      const whatsapp = fakeSocket(onWhatsApp)
      const recipients = check()
      assert.equal(await recipients.isOnWhatsApp('shop-1', whatsapp.socket, ALICE), false)
      onWhatsApp.add(ALICE)
      now += TTL
      assert.equal(await recipients.isOnWhatsApp('shop-1', whatsapp.socket, ALICE), true, 'the number joined WhatsApp since')
      assert.equal(await recipients.isOnWhatsApp('shop-1', whatsapp.socket, ALICE), true)
      assert.deepEqual(whatsapp.asked, [ALICE, ALICE])
    })

    it('keeps answers across a restart, and a second connection (another host) reads them', async () => {
      const whatsapp = fakeSocket(new Set([ALICE]))
      await check().isOnWhatsApp('shop-1', whatsapp.socket, NOBODY)
      const restarted = createRecipientCheck({ db: (await database.connect()).db, ttlMs: TTL, clock })
      await assert.rejects(restarted.require('shop-1', whatsapp.socket, NOBODY), refusal(NOBODY))
      assert.equal(await restarted.stored('shop-1', NOBODY), false)
      assert.equal(await restarted.stored('shop-1', ALICE), undefined, 'never asked')
      assert.deepEqual(whatsapp.asked, [NOBODY])
    })

    it('does not share answers between sessions', async () => {
      const whatsapp = fakeSocket(new Set([ALICE]))
      const recipients = check()
      await recipients.isOnWhatsApp('shop-1', whatsapp.socket, ALICE)
      assert.equal(await recipients.stored('shop-2', ALICE), undefined)
      await recipients.isOnWhatsApp('shop-2', whatsapp.socket, ALICE)
      assert.deepEqual(whatsapp.asked, [ALICE, ALICE])
    })

    it("forgets a deleted session's answers", async () => {
      const whatsapp = fakeSocket(new Set())
      const recipients = check()
      await recipients.isOnWhatsApp('shop-1', whatsapp.socket, NOBODY)
      const { sessions } = tablesOf(database.db)
      await database.db.delete(sessions).where(eq(sessions.id, 'shop-1'))
      await addLeasedSession(database.db, 'shop-1')
      assert.equal(await recipients.stored('shop-1', NOBODY), undefined)
      await recipients.isOnWhatsApp('shop-1', whatsapp.socket, NOBODY)
      assert.deepEqual(whatsapp.asked, [NOBODY, NOBODY])
    })

    it('asks once for a burst of the same question at the same time', async () => {
      const whatsapp = fakeSocket(new Set([ALICE]))
      let release = () => {}
      whatsapp.holdAnswers(new Promise<void>(resolve => (release = resolve)))
      const recipients = check()
      const burst = Array.from({ length: 5 }, () => recipients.isOnWhatsApp('shop-1', whatsapp.socket, ALICE))
      // Lets the first question reach the socket before WhatsApp answers.
      while (whatsapp.asked.length === 0) await new Promise(resolve => setImmediate(resolve))
      release()
      assert.deepEqual(await Promise.all(burst), [true, true, true, true, true])
      assert.deepEqual(whatsapp.asked, [ALICE])
    })

    describe('before a send', () => {
      const sessionsWith = (socket: WASocket | undefined) => ({ connectedSocket: () => socket }) as unknown as SessionManager

      it('refuses a number stored as not on WhatsApp while the session is away, and lets an unknown one through', async () => {
        const whatsapp = fakeSocket(new Set([ALICE]))
        const recipients = check()
        await recipients.isOnWhatsApp('shop-1', whatsapp.socket, NOBODY)
        const away = { sessions: sessionsWith(undefined), recipients }
        await assert.rejects(checkRecipient(away, 'shop-1', NOBODY), refusal(NOBODY))
        await checkRecipient(away, 'shop-1', ALICE)
        now += TTL
        await checkRecipient(away, 'shop-1', NOBODY)
        assert.deepEqual(whatsapp.asked, [NOBODY])
      })

      it('asks through a connected session', async () => {
        const whatsapp = fakeSocket(new Set([ALICE]))
        const connected = { sessions: sessionsWith(whatsapp.socket), recipients: check() }
        await checkRecipient(connected, 'shop-1', ALICE)
        await assert.rejects(checkRecipient(connected, 'shop-1', NOBODY), refusal(NOBODY))
        assert.deepEqual(whatsapp.asked, [ALICE, NOBODY])
      })
    })
  })
