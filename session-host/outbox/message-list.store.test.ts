import { afterEach, beforeEach, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { decodeCursor, encodeCursor } from '../../shared/host-api/list-page.ts'
import type { ListFilter } from '../../shared/host-api/list-page.ts'
import type { MessageStatus } from '../../shared/statuses.ts'
import { ENGINES, openTestDatabase } from '../../test/support/test-database.ts'
import type { TestDatabase } from '../../test/support/test-database.ts'
import { eq } from 'drizzle-orm'
import { tablesOf } from '../db/database.ts'
import { countMessagesByStatus } from './message-counts.ts'
import { listMessages } from './message-list.ts'

const T0 = 1_800_000_000_000
const ALICE = '6281200000001'
const BOB = '6281200000002'

type Seed = { id: string; sessionId?: string; to?: string; status?: MessageStatus; at?: number; otp?: boolean }

for (const engine of ENGINES)
  describe(`message list store (${engine})`, () => {
    let database: TestDatabase

    const seed = async (...rows: Seed[]) => {
      const { messages } = tablesOf(database.db)
      await database.db.insert(messages).values(
        rows.map(({ id, sessionId = 's1', to = ALICE, status = 'sent', at = T0 }) => ({
          id,
          sessionId,
          jid: `${to}@s.whatsapp.net`,
          kind: 'text',
          status,
          payload: 'sealed-content',
          createdAt: new Date(at),
          updatedAt: new Date(at)
        }))
      )
    }

    /** Every page's ids, following nextCursor from the first page to the last. */
    const allPages = async (filter: Omit<ListFilter, 'cursor'>, between?: () => Promise<void>) => {
      const pages: string[][] = []
      let cursor: string | null = null
      do {
        const page = await listMessages(database.db, { ...filter, ...(cursor ? { cursor: decodeCursor(cursor)! } : {}) })
        pages.push(page.items.map(item => item.messageId))
        cursor = page.nextCursor
        await between?.()
      } while (cursor !== null && pages.length < 20)
      return pages
    }

    beforeEach(async () => {
      database = await openTestDatabase(engine)
      await database.db.insert(tablesOf(database.db).sessions).values([{ id: 's1' }, { id: 's2' }])
    })
    afterEach(async () => {
      await database.dispose()
    })

    it('pages through messages newest first, ties in createdAt by id, each once', async () => {
      await seed(
        { id: 'MSG00000A', at: T0 },
        { id: 'MSG00000C', at: T0 },
        { id: 'MSG00000B', at: T0 },
        { id: 'MSG00000E', at: T0 },
        { id: 'MSG00000D', at: T0 + 1_000 },
        { id: 'MSG00000F', at: T0 - 1_000 },
        { id: 'MSG00000G', at: T0 + 2_000 }
      )
      const pages = await allPages({ limit: 3 })
      assert.deepEqual(pages, [['MSG00000G', 'MSG00000D', 'MSG00000E'], ['MSG00000C', 'MSG00000B', 'MSG00000A'], ['MSG00000F']])
    })

    it('keeps its place when messages arrive between pages', async () => {
      await seed({ id: 'MSG00000A' }, { id: 'MSG00000B' }, { id: 'MSG00000C' }, { id: 'MSG00000D' })
      let next = 0
      // A newer message lands after each page, and one in the middle of the tie: neither shows up again nor pushes one out.
      const pages = await allPages({ limit: 2 }, async () => {
        next++
        await seed({ id: `MSG0NEW0${next}`, at: T0 + next * 1_000 })
      })
      assert.deepEqual(pages.flat(), ['MSG00000D', 'MSG00000C', 'MSG00000B', 'MSG00000A'])
    })

    it('shows what the view shows, never the content', async () => {
      await seed({ id: 'MSG00000A', status: 'delivered' })
      const { items } = await listMessages(database.db, { limit: 10 })
      assert.deepEqual(items, [
        {
          sessionId: 's1',
          messageId: 'MSG00000A',
          to: `+${ALICE}`,
          kind: 'text',
          status: 'delivered',
          error: null,
          otpId: null,
          timestamp: new Date(T0).toISOString(),
          createdAt: new Date(T0).toISOString(),
          sentAt: null,
          deliveredAt: null,
          readAt: null,
          failedAt: null
        }
      ])
      assert.doesNotMatch(JSON.stringify(items), /sealed-content/)
    })

    it('filters by status, recipient, time and session', async () => {
      await seed(
        { id: 'MSG00000A', status: 'failed', to: BOB, at: T0 },
        { id: 'MSG00000B', status: 'sent', to: ALICE, at: T0 + 1_000 },
        { id: 'MSG00000C', status: 'failed', to: ALICE, at: T0 + 2_000 },
        { id: 'MSG00000D', status: 'failed', to: ALICE, at: T0 + 2_000, sessionId: 's2' }
      )
      const ids = async (filter: Omit<ListFilter, 'limit'> & { status?: MessageStatus }) =>
        (await listMessages(database.db, { limit: 50, ...filter })).items.map(item => item.messageId)
      assert.deepEqual(await ids({ status: 'failed' }), ['MSG00000D', 'MSG00000C', 'MSG00000A'])
      assert.deepEqual(await ids({ status: 'failed', to: ALICE, sessionId: 's1' }), ['MSG00000C'])
      assert.deepEqual(await ids({ since: T0 + 1_000, until: T0 + 2_000 }), ['MSG00000B'])
      assert.deepEqual(await ids({ sessions: ['s2'] }), ['MSG00000D'])
      assert.deepEqual(await ids({ sessions: ['s2'], sessionId: 's1' }), [])
      assert.deepEqual(await ids({ sessions: [] }), [])
    })

    it('takes a cursor made for a row that is gone', async () => {
      await seed({ id: 'MSG00000A', at: T0 }, { id: 'MSG00000C', at: T0 + 5 })
      const cursor = decodeCursor(encodeCursor({ createdAt: T0 + 5, key: ['MSG00000B'] }))!
      assert.deepEqual(
        (await listMessages(database.db, { limit: 10, cursor })).items.map(item => item.messageId),
        ['MSG00000A']
      )
    })

    it('counts messages by status in the window, and those carrying an OTP apart', async () => {
      await seed(
        { id: 'MSG00000A', status: 'sent', at: T0 },
        { id: 'MSG00000B', status: 'sent', at: T0 + 1 },
        { id: 'MSG00000C', status: 'failed', at: T0 + 2 },
        { id: 'MSG00000D', status: 'read', at: T0 - 1 },
        { id: 'MSG00000E', status: 'sent', at: T0, sessionId: 's2' }
      )
      const { otps, messages } = tablesOf(database.db)
      await database.db
        .insert(otps)
        .values({ id: 'otp_00000001', sessionId: 's1', destination: ALICE, codeHash: 'h'.repeat(32), expiresAt: new Date(T0 + 60_000) })
      await database.db.update(messages).set({ otpId: 'otp_00000001' }).where(eq(messages.id, 'MSG00000C'))
      const window = { since: T0, until: T0 + 10 }
      assert.deepEqual(Object.fromEntries(await countMessagesByStatus(database.db, window)), { sent: 3, failed: 1 })
      assert.deepEqual(Object.fromEntries(await countMessagesByStatus(database.db, { ...window, sessions: ['s1'] })), { sent: 2, failed: 1 })
      assert.deepEqual(Object.fromEntries(await countMessagesByStatus(database.db, window, { otpOnly: true })), { failed: 1 })
    })
  })
