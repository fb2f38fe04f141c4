import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { eq } from 'drizzle-orm'
import { openDatabase, writeTransaction } from './connection.ts'
import { sessions } from './schema.ts'

/** Another process that holds the database's write lock for `ms`, as a second writer or a CLI would. */
const holdWriteLock = (file: string, ms: number) => {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `
    const db = new (require('better-sqlite3'))(${JSON.stringify(file)})
    db.exec('BEGIN IMMEDIATE')
    console.log('locked')
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ${ms})
    db.exec('ROLLBACK')
    db.close()`
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] }
  )
  const locked = new Promise<void>(done => child.stdout.once('data', () => done()))
  const exited = new Promise<void>(done => child.once('exit', () => done()))
  return { locked, exited }
}

describe('the host database', () => {
  it("makes a change that reads first wait for another connection's write lock, where a deferred one fails at once", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'db-lock-'))
    const database = openDatabase(join(dir, 'host.db'))
    try {
      database.db.insert(sessions).values({ id: 'shop-1', status: 'connecting', createdAt: new Date(), updatedAt: new Date() }).run()
      const readThenWrite = (tx: Parameters<Parameters<typeof writeTransaction>[1]>[0]) => {
        const row = tx.select({ status: sessions.status }).from(sessions).where(eq(sessions.id, 'shop-1')).get()
        tx.update(sessions)
          .set({ status: row?.status === 'connecting' ? 'connected' : 'disconnected' })
          .where(eq(sessions.id, 'shop-1'))
          .run()
      }
      const lock = holdWriteLock(join(dir, 'host.db'), 600)
      await lock.locked
      // The read→write upgrade of a deferred transaction is refused without waiting busy_timeout.
      assert.throws(
        () => database.db.transaction(readThenWrite),
        (error: { code?: string }) => error.code === 'SQLITE_BUSY'
      )
      writeTransaction(database.db, readThenWrite)
      assert.equal(database.db.select({ status: sessions.status }).from(sessions).get()?.status, 'connected')
      await lock.exited
    } finally {
      database.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
