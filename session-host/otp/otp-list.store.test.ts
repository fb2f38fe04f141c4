import { afterEach, beforeEach, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { decodeCursor } from '../../shared/host-api/list-page.ts'
import type { ListFilter } from '../../shared/host-api/list-page.ts'
import type { OtpStatus } from '../../shared/statuses.ts'
import { ENGINES, openTestDatabase } from '../../test/support/test-database.ts'
import type { TestDatabase } from '../../test/support/test-database.ts'
import { tablesOf } from '../db/database.ts'
import { countOtpsByStatus } from './otp-counts.ts'
import { listOtps } from './otp-list.ts'

const T0 = 1_800_000_000_000
const ALICE = '6281200000001'
const BOB = '6281200000002'
const HASH = 'secret-hash-'.repeat(4)

type Seed = { id: string; sessionId?: string; to?: string; status?: OtpStatus; at?: number; messageId?: string }

for (const engine of ENGINES)
  describe(`OTP list store (${engine})`, () => {
    let database: TestDatabase

    const seed = async (...rows: Seed[]) => {
      const { otps } = tablesOf(database.db)
      await database.db.insert(otps).values(
        rows.map(({ id, sessionId = 's1', to = ALICE, status = 'pending', at = T0, messageId }) => ({
          id,
          sessionId,
          destination: to,
          codeHash: HASH,
          status,
          expiresAt: new Date(at + 300_000),
          createdAt: new Date(at),
          updatedAt: new Date(at),
          ...(messageId ? { messageId } : {})
        }))
      )
    }
    const ids = async (filter: Omit<ListFilter, 'limit'> & { status?: OtpStatus; limit?: number }) =>
      (await listOtps(database.db, { limit: 50, ...filter })).items.map(item => item.otpId)

    beforeEach(async () => {
      database = await openTestDatabase(engine)
      await database.db.insert(tablesOf(database.db).sessions).values([{ id: 's1' }, { id: 's2' }])
    })
    afterEach(async () => {
      await database.dispose()
    })

    it('pages through OTPs newest first, ties in createdAt by id, each once', async () => {
      await seed({ id: 'otp_0000000a' }, { id: 'otp_0000000c' }, { id: 'otp_0000000b' }, { id: 'otp_0000000d', at: T0 + 1 }, { id: 'otp_0000000e', at: T0 - 1 })
      const first = await listOtps(database.db, { limit: 2 })
      const second = await listOtps(database.db, { limit: 2, cursor: decodeCursor(first.nextCursor!)! })
      const third = await listOtps(database.db, { limit: 2, cursor: decodeCursor(second.nextCursor!)! })
      assert.deepEqual(
        [first, second, third].map(page => page.items.map(item => item.otpId)),
        [['otp_0000000d', 'otp_0000000c'], ['otp_0000000b', 'otp_0000000a'], ['otp_0000000e']]
      )
      assert.equal(third.nextCursor, null)
    })

    it("shows each OTP with its message's delivery, never the code's hash", async () => {
      const { messages } = tablesOf(database.db)
      await seed({ id: 'otp_0000000a', status: 'approved', messageId: 'MSG00000A' }, { id: 'otp_0000000b', at: T0 - 1 })
      await database.db.insert(messages).values({
        id: 'MSG00000A',
        sessionId: 's1',
        jid: `${ALICE}@s.whatsapp.net`,
        kind: 'text',
        status: 'delivered',
        otpId: 'otp_0000000a',
        createdAt: new Date(T0),
        updatedAt: new Date(T0),
        sentAt: new Date(T0 + 100),
        deliveredAt: new Date(T0 + 200)
      })
      const { items } = await listOtps(database.db, { limit: 10 })
      assert.deepEqual(items[0], {
        otpId: 'otp_0000000a',
        sessionId: 's1',
        to: `+${ALICE}`,
        status: 'approved',
        attemptsLeft: 5,
        messageId: 'MSG00000A',
        expiresAt: new Date(T0 + 300_000).toISOString(),
        createdAt: new Date(T0).toISOString(),
        delivery: {
          status: 'delivered',
          error: null,
          sentAt: new Date(T0 + 100).toISOString(),
          deliveredAt: new Date(T0 + 200).toISOString(),
          readAt: null,
          failedAt: null
        }
      })
      assert.equal(items[1]?.delivery, null)
      assert.doesNotMatch(JSON.stringify(items), /secret-hash/)
    })

    it('filters by status, recipient, time and session', async () => {
      await seed(
        { id: 'otp_0000000a', status: 'expired', to: BOB, at: T0 },
        { id: 'otp_0000000b', status: 'approved', at: T0 + 1_000 },
        { id: 'otp_0000000c', status: 'expired', at: T0 + 2_000 },
        { id: 'otp_0000000d', status: 'expired', at: T0 + 2_000, sessionId: 's2' }
      )
      assert.deepEqual(await ids({ status: 'expired' }), ['otp_0000000d', 'otp_0000000c', 'otp_0000000a'])
      assert.deepEqual(await ids({ status: 'expired', to: ALICE, sessionId: 's1' }), ['otp_0000000c'])
      assert.deepEqual(await ids({ to: BOB }), ['otp_0000000a'])
      assert.deepEqual(await ids({ since: T0 + 1_000, until: T0 + 2_000 }), ['otp_0000000b'])
      assert.deepEqual(await ids({ sessions: ['s2'] }), ['otp_0000000d'])
      assert.deepEqual(await ids({ sessions: [] }), [])
    })

    it('counts OTPs by status in the window, for the sessions asked', async () => {
      await seed(
        { id: 'otp_0000000a', status: 'approved', at: T0 },
        { id: 'otp_0000000b', status: 'approved', at: T0 + 1 },
        { id: 'otp_0000000c', status: 'expired', at: T0 + 2 },
        { id: 'otp_0000000d', status: 'pending', at: T0 + 10 },
        { id: 'otp_0000000e', status: 'failed', at: T0, sessionId: 's2' }
      )
      const window = { since: T0, until: T0 + 10 }
      assert.deepEqual(Object.fromEntries(await countOtpsByStatus(database.db, window)), { approved: 2, expired: 1, failed: 1 })
      assert.deepEqual(Object.fromEntries(await countOtpsByStatus(database.db, { ...window, sessionId: 's1' })), { approved: 2, expired: 1 })
      assert.deepEqual(Object.fromEntries(await countOtpsByStatus(database.db, { ...window, sessions: ['s2'] })), { failed: 1 })
    })
  })
