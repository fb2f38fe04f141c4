import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { eq } from 'drizzle-orm'
import { tablesOf, writeTransaction } from './database.ts'
import type { Transaction } from './database.ts'
import { openSqlite } from './sqlite-database.ts'

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

describe('the host SQLite database', () => {
  const withDatabase = async (test: (database: ReturnType<typeof openSqlite>, file: string) => Promise<void>) => {
    const dir = mkdtempSync(join(tmpdir(), 'db-lock-'))
    const database = openSqlite(join(dir, 'host.db'))
    try {
      await test(database, join(dir, 'host.db'))
    } finally {
      await database.close()
      rmSync(dir, { recursive: true, force: true })
    }
  }
  const status = async (database: ReturnType<typeof openSqlite>, id: string) => {
    const { sessions } = tablesOf(database.db)
    const [row] = await database.db.select({ status: sessions.status }).from(sessions).where(eq(sessions.id, id))
    return row?.status
  }

  it("makes a change that reads first wait for another connection's write lock, where a deferred one fails at once", async () => {
    await withDatabase(async (database, file) => {
      const { sessions } = tablesOf(database.db)
      await database.db.insert(sessions).values({ id: 'shop-1', status: 'connecting', createdAt: new Date(), updatedAt: new Date() })
      const readThenWrite = async (tx: Transaction) => {
        const [row] = await tx.select({ status: sessions.status }).from(sessions).where(eq(sessions.id, 'shop-1'))
        await tx
          .update(sessions)
          .set({ status: row?.status === 'connecting' ? 'connected' : 'disconnected' })
          .where(eq(sessions.id, 'shop-1'))
      }
      const lock = holdWriteLock(file, 600)
      await lock.locked
      // The read→write upgrade of a deferred transaction is refused without waiting busy_timeout.
      await assert.rejects(
        () => database.db.transaction(readThenWrite),
        (error: { cause?: { code?: string } }) => error.cause?.code === 'SQLITE_BUSY'
      )
      await writeTransaction(database.db, readThenWrite)
      assert.equal(await status(database, 'shop-1'), 'connected')
      await lock.exited
    })
  })

  it("holds this process's other statements until an open transaction ends, so a rollback takes only its own writes", async () => {
    await withDatabase(async database => {
      const { sessions } = tablesOf(database.db)
      let inside!: () => void
      const entered = new Promise<void>(resolve => (inside = resolve))
      const failing = writeTransaction(database.db, async tx => {
        await tx.insert(sessions).values({ id: 'rolled-back' })
        inside()
        // Other requests run while this transaction waits on something else.
        await new Promise(resolve => setTimeout(resolve, 50))
        throw new Error('the change is refused')
      })
      await entered
      // Run alone on the shared connection, this insert would land inside the open transaction.
      const outside = database.db.insert(sessions).values({ id: 'kept' })
      const read = status(database, 'rolled-back')
      await assert.rejects(failing, /the change is refused/)
      await outside
      assert.equal(await read, undefined)
      assert.equal(await status(database, 'kept'), 'connecting')
      assert.equal(await status(database, 'rolled-back'), undefined)
    })
  })

  it('runs a transaction inside a transaction as a savepoint of it, without waiting for itself', async () => {
    await withDatabase(async database => {
      const { sessions } = tablesOf(database.db)
      await writeTransaction(database.db, async tx => {
        await tx.insert(sessions).values({ id: 'outer' })
        await writeTransaction(tx, async inner => {
          await inner.insert(sessions).values({ id: 'inner' })
        })
        await assert.rejects(
          writeTransaction(tx, async inner => {
            await inner.insert(sessions).values({ id: 'undone' })
            throw new Error('savepoint refused')
          })
        )
      })
      assert.equal(await status(database, 'outer'), 'connecting')
      assert.equal(await status(database, 'inner'), 'connecting')
      assert.equal(await status(database, 'undone'), undefined)
    })
  })
})
