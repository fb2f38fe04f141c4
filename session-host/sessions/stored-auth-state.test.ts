import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { and, eq } from 'drizzle-orm'
import { ENGINES, openTestDatabase } from '../../test/support/test-database.ts'
import type { TestDatabase } from '../../test/support/test-database.ts'
import { tablesOf } from '../db/database.ts'
import type { Db } from '../db/database.ts'
import { WaSim } from '../sim/index.ts'
import { BaileysDriver } from '../sim/testing/baileys-driver.ts'
import { claimLeases } from '../fleet/session-leases.ts'
import type { Fence } from '../fleet/session-leases.ts'
import { addLeasedSession } from '../../test/support/leased-session.ts'
import { LeaseLostError } from '../fleet/session-leases.ts'
import { loadAuthState } from './stored-auth-state.ts'

const ACCOUNT = '15550060001'
const ALICE = '15550002222'

/**
 * The driver does not wait for its onCreds callback, so the saves are kept here: the database
 * closes only once the last one has landed, as the host's session waits for its own writes.
 */
const savedAuthState = async (db: Db, sessionId: string, fence: Fence) => {
  const auth = await loadAuthState(db, sessionId, fence)
  const saves: Promise<void>[] = []
  return {
    state: auth.state,
    onCreds: () => {
      saves.push(auth.saveCreds())
    },
    saved: () => Promise.all(saves)
  }
}

for (const engine of ENGINES)
  describe(`Baileys auth state in the database (${engine})`, () => {
    const sim = new WaSim()
    let database: TestDatabase
    let url: string
    before(async () => {
      database = await openTestDatabase(engine)
      url = await sim.start()
      sim.addContact(ALICE)
    })
    after(async () => {
      await sim.stop()
      await database.dispose()
    })

    it('links once, and after the database is closed and reopened the session logs in again without a QR', async () => {
      const first = database
      const fence = await addLeasedSession(first.db, 'shop-1')
      const firstAuth = await savedAuthState(first.db, 'shop-1', fence)
      const linking = new BaileysDriver({ url, sim, scanAs: ACCOUNT, auth: firstAuth.state, onCreds: firstAuth.onCreds }).start()
      await linking.waitOpen()
      const before = await linking.socket.sendMessage(`${ALICE}@s.whatsapp.net`, { text: 'before restart' })
      await sim.waitForSent(m => m.id === before?.key.id)
      await linking.stop()
      await firstAuth.saved()
      await first.close()

      const second = await database.connect()
      const restored = await savedAuthState(second.db, 'shop-1', fence)
      assert.equal(restored.state.creds.me?.id, `${ACCOUNT}:1@s.whatsapp.net`)
      const again = new BaileysDriver({ url, sim, auth: restored.state, onCreds: restored.onCreds }).start()
      try {
        await again.waitOpen()
        assert.equal(
          again.count('connection.update', u => !!u.qr),
          0
        )
        const after = await again.socket.sendMessage(`${ALICE}@s.whatsapp.net`, { text: 'after restart' })
        const sent = await sim.waitForSent(m => m.id === after?.key.id)
        assert.equal(sent.decrypted.find(c => c.jid.startsWith(ALICE))?.message.extendedTextMessage?.text, 'after restart')
        // The contact answers on the session it already has: Baileys needs the persisted keys to read it.
        const replyId = await sim.injectText(ALICE, ACCOUNT, 'got it')
        const reply = await again.waitUntil(
          () => (again.events['messages.upsert'] ?? []).flatMap(u => u.messages).find(m => m.key.id === replyId),
          'reply decrypted by the restored session'
        )
        assert.equal(reply.message?.conversation, 'got it')
      } finally {
        await again.stop()
        await restored.saved()
        await second.close()
      }
    })

    it('removes the auth state with its session', async () => {
      const { db, close } = await database.connect()
      const { authCreds, authKeys, sessions } = tablesOf(db)
      try {
        assert.ok((await db.select().from(authKeys).where(eq(authKeys.sessionId, 'shop-1'))).length > 0)
        await db.delete(sessions).where(eq(sessions.id, 'shop-1'))
        assert.equal((await db.select().from(authKeys).where(eq(authKeys.sessionId, 'shop-1'))).length, 0)
        assert.equal((await db.select().from(authCreds).where(eq(authCreds.sessionId, 'shop-1'))).length, 0)
      } finally {
        await close()
      }
    })

    it('keeps what it read and wrote in memory, misses too, and follows its own writes', async () => {
      const { db } = await database.connect()
      const { authKeys } = tablesOf(db)
      await addLeasedSession(db, 'shop-3')
      const fence = await addLeasedSession(db, 'shop-3b')
      const auth = await loadAuthState(db, 'shop-3b', fence)
      const record = (text: string) => Buffer.from(text)
      await auth.state.keys.set({ session: { 'a.0': record('first') } })
      assert.deepEqual(await auth.state.keys.get('session', ['a.0', 'b.0']), { 'a.0': record('first') })
      // Changed behind its back: what it read stays (only this host writes while it holds the lease).
      await db.insert(authKeys).values({ sessionId: 'shop-3b', type: 'session', keyId: 'b.0', value: JSON.stringify('sneaked in') })
      await db
        .update(authKeys)
        .set({ value: JSON.stringify('changed') })
        .where(eq(authKeys.keyId, 'a.0'))
      assert.deepEqual(await auth.state.keys.get('session', ['a.0', 'b.0']), { 'a.0': record('first') })
      await auth.state.keys.set({ session: { 'a.0': null, 'b.0': record('second') } })
      assert.deepEqual(await auth.state.keys.get('session', ['a.0', 'b.0']), { 'b.0': record('second') })
      // A new auth state (the next socket) starts from the database.
      const next = await loadAuthState(db, 'shop-3b', fence)
      assert.deepEqual(await next.state.keys.get('session', ['a.0', 'b.0']), { 'b.0': record('second') })
      // One-time pre-keys are read from the database every time.
      await auth.state.keys.set({ 'pre-key': { '9': { public: record('p'), private: record('q') } } })
      await db.delete(authKeys).where(and(eq(authKeys.sessionId, 'shop-3b'), eq(authKeys.type, 'pre-key')))
      assert.deepEqual(await auth.state.keys.get('pre-key', ['9']), {})
    })

    it('stores a linking device’s 812 pre-keys in one write, each read back as it was, and replaces a stored one', async () => {
      const { db } = await database.connect()
      const { authKeys } = tablesOf(db)
      const fence = await addLeasedSession(db, 'shop-3c')
      const auth = await loadAuthState(db, 'shop-3c', fence)
      const preKey = (n: number) => ({ public: Buffer.from(`public "${n}" \\ ü`), private: Buffer.alloc(32, n) })
      const ids = Array.from({ length: 812 }, (_, n) => String(n + 1))
      await auth.state.keys.set({ 'pre-key': Object.fromEntries(ids.map(id => [id, preKey(Number(id))])) })
      assert.equal(
        (
          await db
            .select()
            .from(authKeys)
            .where(and(eq(authKeys.sessionId, 'shop-3c'), eq(authKeys.type, 'pre-key')))
        ).length,
        812
      )
      const read = await auth.state.keys.get('pre-key', ids)
      assert.deepEqual(read, Object.fromEntries(ids.map(id => [id, preKey(Number(id))])))
      await auth.state.keys.set({ 'pre-key': { '7': preKey(9000), '8': null } })
      assert.deepEqual(await auth.state.keys.get('pre-key', ['7', '8', '9']), { '7': preKey(9000), '9': preKey(9) })
    })

    it('refuses every write once another host took the session over, and leaves what the new owner stored', async () => {
      // The first test closed the first connection.
      const { db } = await database.connect()
      const { authCreds, authKeys, sessionLeases } = tablesOf(db)
      const fence = await addLeasedSession(db, 'shop-2', { hostId: 'host-a', leaseMs: 600_000 })
      const stale = await loadAuthState(db, 'shop-2', fence)
      await stale.saveCreds()
      await stale.state.keys.set({ 'pre-key': { '1': { public: Buffer.from('a'), private: Buffer.from('b') } } })
      // host-a stalls past its lease; host-b takes the session over (a new generation).
      await db
        .update(sessionLeases)
        .set({ expiresAt: new Date(0) })
        .where(eq(sessionLeases.sessionId, 'shop-2'))
      const [taken] = await claimLeases(db, 'host-b', { ttlMs: 600_000, limit: 10 })
      assert.equal(taken?.sessionId, 'shop-2')
      const owner = await loadAuthState(db, 'shop-2', { hostId: 'host-b', generation: Number(taken.generation) })
      Object.assign(owner.state.creds, { registrationId: 4242 })
      await owner.saveCreds()

      Object.assign(stale.state.creds, { registrationId: 1 })
      await assert.rejects(stale.saveCreds(), LeaseLostError)
      await assert.rejects(async () => stale.state.keys.set({ 'pre-key': { '2': { public: Buffer.from('c'), private: Buffer.from('d') } } }), LeaseLostError)
      await assert.rejects(async () => stale.state.keys.set({ 'pre-key': { '1': null } }), LeaseLostError)
      await stale.state.keys.clear?.()

      const [creds] = await db.select().from(authCreds).where(eq(authCreds.sessionId, 'shop-2'))
      assert.equal(JSON.parse(creds?.creds ?? '{}').registrationId, 4242)
      const keys = await db.select({ keyId: authKeys.keyId }).from(authKeys).where(eq(authKeys.sessionId, 'shop-2'))
      assert.deepEqual(
        keys.map(key => key.keyId),
        ['1']
      )
    })
  })
