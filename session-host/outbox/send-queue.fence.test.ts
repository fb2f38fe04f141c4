import { afterEach, beforeEach, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { eq } from 'drizzle-orm'
import type { WASocket } from '@whiskeysockets/baileys'
import pino from 'pino'
import { addLeasedSession } from '../../test/support/leased-session.ts'
import { ENGINES, openTestDatabase } from '../../test/support/test-database.ts'
import type { TestDatabase } from '../../test/support/test-database.ts'
import { tablesOf, writeTransaction } from '../db/database.ts'
import { claimLeases } from '../fleet/session-leases.ts'
import type { Fence } from '../fleet/session-leases.ts'
import { createPayloadCipher } from './payload-cipher.ts'
import { SendQueue } from './send-queue.ts'

const ALICE = '15550002222@s.whatsapp.net'
/** What the queue logged: a refused claim is only visible there (the row simply stays queued). */
const warnings: string[] = []
const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(JSON.parse(line).msg) })

/** A connected socket that only records what it was asked to send. */
const recordingSocket = (sent: string[]) =>
  ({
    sendMessage: async (_jid: string, _content: unknown, options: { messageId: string }) => {
      sent.push(options.messageId)
    }
  }) as unknown as WASocket

for (const engine of ENGINES)
  describe(`sends fenced by the session's lease (${engine})`, () => {
    let database: TestDatabase
    let fence: Fence
    let sent: string[]
    let queue: SendQueue

    beforeEach(async () => {
      database = await openTestDatabase(engine)
      fence = await addLeasedSession(database.db, 'shop-1', { hostId: 'host-a' })
      sent = []
      queue = new SendQueue({
        db: database.db,
        cipher: createPayloadCipher('x'.repeat(32)),
        logger,
        socketOf: () => recordingSocket(sent),
        // What host-a believes it holds: the fence it was given, whether or not it is still current.
        fenceOf: () => fence,
        hostId: 'host-a',
        ackTimeoutMs: 60_000
      })
    })
    afterEach(async () => {
      queue.stop()
      await database.dispose()
    })

    const enqueue = () =>
      writeTransaction(database.db, tx => queue.enqueue(tx, { sessionId: 'shop-1', jid: ALICE, kind: 'text', content: { content: { text: 'hi' } } }))
    const status = async (messageId: string) => {
      const { messages } = tablesOf(database.db)
      const [row] = await database.db.select({ status: messages.status }).from(messages).where(eq(messages.id, messageId))
      return row?.status
    }
    /** host-a stalls past its lease and host-b takes the session over, as after a SIGSTOP. */
    const takeOver = async () => {
      const { sessionLeases } = tablesOf(database.db)
      await database.db
        .update(sessionLeases)
        .set({ expiresAt: new Date(0) })
        .where(eq(sessionLeases.sessionId, 'shop-1'))
      const [taken] = await claimLeases(database.db, 'host-b', { ttlMs: 600_000, limit: 10 })
      assert.equal(taken?.sessionId, 'shop-1')
    }
    const until = async (what: string, done: () => Promise<boolean> | boolean) => {
      for (const started = Date.now(); !(await done()); await new Promise(resolve => setTimeout(resolve, 10)))
        if (Date.now() - started > 5_000) assert.fail(`timed out waiting for ${what}`)
    }

    it('sends what is queued while the lease is current', async () => {
      const { messageId } = await enqueue()
      queue.kick('shop-1')
      await until('the send', () => sent.length > 0)
      assert.deepEqual(sent, [messageId])
      assert.equal(await status(messageId), 'sending')
    })

    it('claims nothing once another host holds the session: the message waits for the new owner', async () => {
      const { messageId } = await enqueue()
      await takeOver()
      warnings.length = 0
      queue.kick('shop-1')
      await until('the refused claim', () => warnings.includes('send refused: this host no longer holds the session'))
      assert.deepEqual(sent, [])
      assert.equal(await status(messageId), 'queued')
    })

    it('puts back in line on start what it was sending, unless another live host holds the session', async () => {
      const { messageId } = await enqueue()
      const { messages } = tablesOf(database.db)
      // A crash left it mid-send.
      await database.db.update(messages).set({ status: 'sending' }).where(eq(messages.id, messageId))
      await takeOver()
      await queue.start()
      assert.equal(await status(messageId), 'sending')
      const { sessionLeases } = tablesOf(database.db)
      await database.db
        .update(sessionLeases)
        .set({ expiresAt: new Date(0) })
        .where(eq(sessionLeases.sessionId, 'shop-1'))
      await queue.start()
      assert.equal(await status(messageId), 'queued')
    })
  })
