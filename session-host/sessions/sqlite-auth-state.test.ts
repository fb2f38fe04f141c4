import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { eq } from 'drizzle-orm'
import { openDatabase } from '../db/connection.ts'
import { authCreds, authKeys, sessions } from '../db/schema.ts'
import { WaSim } from '../sim/index.ts'
import { BaileysDriver } from '../sim/testing/baileys-driver.ts'
import { sqliteAuthState } from './sqlite-auth-state.ts'

const ACCOUNT = '15550060001'
const ALICE = '15550002222'

describe('Baileys auth state in SQLite', () => {
  const sim = new WaSim()
  const dir = mkdtempSync(join(tmpdir(), 'auth-state-'))
  const file = join(dir, 'host.db')
  let url: string
  before(async () => {
    url = await sim.start()
    sim.addContact(ALICE)
  })
  after(async () => {
    await sim.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('links once, and after the database is closed and reopened the session logs in again without a QR', async () => {
    const first = openDatabase(file)
    first.db.insert(sessions).values({ id: 'shop-1' }).run()
    const firstAuth = sqliteAuthState(first.db, 'shop-1')
    const linking = new BaileysDriver({ url, sim, scanAs: ACCOUNT, auth: firstAuth.state, onCreds: firstAuth.saveCreds }).start()
    await linking.waitOpen()
    const before = await linking.socket.sendMessage(`${ALICE}@s.whatsapp.net`, { text: 'before restart' })
    await sim.waitForSent(m => m.id === before?.key.id)
    await linking.stop()
    first.close()

    const second = openDatabase(file)
    try {
      const restored = sqliteAuthState(second.db, 'shop-1')
      assert.equal(restored.state.creds.me?.id, `${ACCOUNT}:1@s.whatsapp.net`)
      const again = new BaileysDriver({ url, sim, auth: restored.state, onCreds: restored.saveCreds }).start()
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
      }
    } finally {
      second.close()
    }
  })

  it('removes the auth state with its session', () => {
    const { db, close } = openDatabase(file)
    try {
      assert.ok(db.select().from(authKeys).where(eq(authKeys.sessionId, 'shop-1')).all().length > 0)
      db.delete(sessions).where(eq(sessions.id, 'shop-1')).run()
      assert.equal(db.select().from(authKeys).where(eq(authKeys.sessionId, 'shop-1')).all().length, 0)
      assert.equal(db.select().from(authCreds).where(eq(authCreds.sessionId, 'shop-1')).all().length, 0)
    } finally {
      close()
    }
  })
})
