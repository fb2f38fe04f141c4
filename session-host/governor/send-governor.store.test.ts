import { afterEach, beforeEach, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { eq } from 'drizzle-orm'
import pino from 'pino'
import { NewChatMessageCappingStatusType } from '@whiskeysockets/baileys'
import type { WASocket } from '@whiskeysockets/baileys'
import { AppError } from '../../shared/errors.ts'
import { ENGINES, openTestDatabase } from '../../test/support/test-database.ts'
import type { TestDatabase } from '../../test/support/test-database.ts'
import { addLeasedSession } from '../../test/support/leased-session.ts'
import { tablesOf, writeTransaction } from '../db/database.ts'
import { syncGlobalEndpoint } from '../webhooks/endpoints.ts'
import type { GovernorDefaults } from './governor-policy.ts'
import { SendGovernor } from './send-governor.ts'

const T0 = Date.parse('2026-12-01T10:00:00.000Z')
const DEFAULTS: GovernorDefaults = { enabled: true, startPerDay: 2, maxPerDay: 10, gapMs: 10_000, breakerAfter: 3, pauseMs: 3_600_000 }
const jid = (n: number) => `1555000${String(n).padStart(4, '0')}@s.whatsapp.net`
const logger = pino({ level: 'silent' })

for (const engine of ENGINES)
  describe(`send governor store (${engine})`, () => {
    let database: TestDatabase
    let now: number
    let capAnswer: unknown
    let governor: SendGovernor
    const make = (defaults = DEFAULTS) =>
      new SendGovernor({
        db: database.db,
        defaults,
        logger,
        clock: () => now,
        random: () => 0.5,
        socketOf: () => ({ fetchNewChatMessageCap: async () => capAnswer }) as unknown as WASocket,
        viewOf: async sessionId => ({ sessionId, status: 'connected', phoneNumber: '15550001111', restriction: null }) as never
      })
    /** Admits a send in its own transaction, as acceptSend does; the refusal's code, or 'ok'. */
    const send = async (to: string, kind = 'text', g = governor): Promise<string> => {
      try {
        await writeTransaction(database.db, tx => g.admit(tx, { sessionId: 's1', jid: to, kind }))
        return 'ok'
      } catch (error) {
        if (error instanceof AppError) return `${error.code}:${String(error.details?.reason)}:${error.headers?.['Retry-After'] ?? '-'}`
        throw error
      }
    }

    beforeEach(async () => {
      database = await openTestDatabase(engine)
      now = T0
      capAnswer = undefined
      await addLeasedSession(database.db, 's1')
      governor = make()
    })
    afterEach(() => database.dispose())

    it('keeps its counters in the database: a new governor (a restart, another host) goes on from them', async () => {
      assert.equal(await send(jid(1)), 'ok')
      // The next new chat waits the jittered gap (random 0.5: exactly the mean, 10 s).
      assert.equal(await send(jid(2), 'text', make()), 'SEND_PACED:pacing:10')
      now += 10_000
      assert.equal(await send(jid(2), 'text', make()), 'ok')
      now += 10_000
      // The cap of 2 is reached: until midnight UTC, 14 h less the 20 s gone.
      assert.equal(await send(jid(3), 'text', make()), 'SEND_PACED:daily_cap:50380')
      const view = await make().view('s1')
      assert.equal(view.newChatsToday, 2)
      assert.equal(view.dailyCap, 2)
    })

    it('leaves known chats alone, and learns chats from inbound messages', async () => {
      assert.equal(await send(jid(1)), 'ok')
      assert.equal(await send(jid(1)), 'ok', 'the same chat again')
      await governor.onSessionEvent({
        type: 'messages',
        sessionId: 's1',
        messages: [{ key: { id: 'in-1', remoteJid: jid(7), fromMe: false }, message: { conversation: 'hi' } }]
      })
      assert.equal(await send(jid(7)), 'ok', 'a customer who wrote first is not a new chat')
      assert.equal((await governor.view('s1')).newChatsToday, 1)
    })

    it('never paces an OTP, counts it, and paces the next other message after it', async () => {
      assert.equal(await send(jid(1)), 'ok')
      assert.equal(await send(jid(2), 'otp'), 'ok')
      assert.equal(await send(jid(3), 'otp'), 'ok', 'past the daily cap too')
      assert.equal((await governor.view('s1')).newChatsToday, 3)
      assert.equal(await send(jid(4)), 'SEND_PACED:daily_cap:50400')
    })

    it('a refused send leaves nothing behind: the chat stays new and the counters unchanged', async () => {
      assert.equal(await send(jid(1)), 'ok')
      assert.match(await send(jid(2)), /^SEND_PACED/)
      const { knownChats } = tablesOf(database.db)
      const chats = await database.db.select().from(knownChats).where(eq(knownChats.sessionId, 's1'))
      assert.deepEqual(
        chats.map(chat => chat.jid),
        [jid(1)]
      )
    })

    it("stores WhatsApp's cap as the session connects and as it is pushed, and stops new chats at it", async () => {
      capAnswer = { total_quota: 5, used_quota: 4, cycle_end_timestamp: String((T0 + 7_200_000) / 1000), capping_status: 'NONE' }
      await governor.onSessionEvent({ type: 'status', sessionId: 's1', status: 'connected' })
      assert.deepEqual((await governor.view('s1')).whatsappCap?.total, 5)
      assert.equal(await send(jid(1), 'otp'), 'ok', 'the fifth')
      assert.equal(await send(jid(2), 'otp'), 'NEW_CHAT_CAP_REACHED:whatsapp_cap:7200', 'counted locally between reports')
      await governor.onSessionEvent({
        type: 'new-chat-cap',
        sessionId: 's1',
        cap: { total_quota: 50, used_quota: 5, capping_status: NewChatMessageCappingStatusType.NONE }
      })
      assert.equal(await send(jid(2), 'otp'), 'ok')
      await governor.onSessionEvent({ type: 'new-chat-cap', sessionId: 's1', cap: { capping_status: NewChatMessageCappingStatusType.CAPPED } })
      assert.equal(await send(jid(3), 'otp'), 'NEW_CHAT_CAP_REACHED:whatsapp_cap:-', 'no cycle end: no Retry-After')
    })

    it('trips the breaker on the third 463 in a row, with a session.status event, and an accepted message resets the run', async () => {
      await syncGlobalEndpoint(database.db, { url: 'https://hooks.example/wa', secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'] })
      const refuse = (messageId: string) => governor.onSessionEvent({ type: 'message-ack', sessionId: 's1', messageId, error: '463' })
      await refuse('m1')
      await refuse('m2')
      await governor.onSessionEvent({ type: 'message-ack', sessionId: 's1', messageId: 'm3' })
      assert.equal((await governor.view('s1')).refusalsInRow, 0)
      await refuse('m4')
      await refuse('m5')
      assert.equal((await governor.view('s1')).paused, null)
      await refuse('m6')
      const view = await governor.view('s1')
      assert.equal(view.paused?.until, new Date(T0 + 3_600_000).toISOString())
      assert.equal(await send(jid(1), 'otp'), 'NEW_CHATS_PAUSED:paused:3600')
      assert.equal(await send(jid(1)), 'SEND_PACED:paused:3600')

      const { webhookEvents } = tablesOf(database.db)
      const events = await database.db.select().from(webhookEvents).where(eq(webhookEvents.type, 'session.status'))
      assert.equal(events.length, 1, 'one event, as the breaker trips')
      const [event] = events
      assert.ok(event)
      assert.deepEqual((event.payload as { governor: unknown }).governor, {
        newChats: 'paused',
        reason: 'whatsapp_refused_463: 3 refusals in a row',
        until: new Date(T0 + 3_600_000).toISOString()
      })
      await refuse('m7')
      assert.equal((await database.db.select().from(webhookEvents).where(eq(webhookEvents.type, 'session.status'))).length, 1, 'not again while paused')

      now += 3_600_000
      assert.equal(await send(jid(1), 'otp'), 'ok', 'the pause ends by itself')
    })

    it('an operator resumes new chats before the pause ends', async () => {
      for (const id of ['m1', 'm2', 'm3']) await governor.onSessionEvent({ type: 'message-ack', sessionId: 's1', messageId: id, error: '463' })
      assert.match(await send(jid(1), 'otp'), /^NEW_CHATS_PAUSED/)
      assert.equal((await governor.resume('s1')).paused, null)
      assert.equal(await send(jid(1), 'otp'), 'ok')
    })

    it("takes a session's own settings, and SEND_GOVERNOR=off admits everything without a write", async () => {
      await governor.configure('s1', { newChatGapSeconds: 0, newChatsPerDay: 3 })
      for (let n = 1; n <= 3; n++) assert.equal(await send(jid(n)), 'ok')
      assert.match(await send(jid(4)), /^SEND_PACED:daily_cap/)
      await governor.configure('s1', { enabled: false })
      assert.equal(await send(jid(4)), 'ok')

      const off = make({ ...DEFAULTS, enabled: false })
      for (let n = 10; n < 15; n++) assert.equal(await send(jid(n), 'text', off), 'ok')
      const { knownChats } = tablesOf(database.db)
      assert.equal((await database.db.select().from(knownChats)).length, 4, 'off: nothing recorded')
    })

    it('goes with its session', async () => {
      assert.equal(await send(jid(1)), 'ok')
      const { sessions, sendGovernor, knownChats } = tablesOf(database.db)
      await database.db.delete(sessions).where(eq(sessions.id, 's1'))
      assert.equal((await database.db.select().from(sendGovernor)).length, 0)
      assert.equal((await database.db.select().from(knownChats)).length, 0)
    })
  })
