import { afterEach, beforeEach, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { eq, sql } from 'drizzle-orm'
import { ENGINES, openTestDatabase } from '../../test/support/test-database.ts'
import type { TestDatabase } from '../../test/support/test-database.ts'
import { tablesOf, writeTransaction } from './database.ts'
import type { DbExecutor } from './database.ts'
import { reusedStatement } from './reused-statement.ts'

/** A statement that renames a session, counting how often it was built. */
const renamer = () => {
  let builds = 0
  const rename = reusedStatement(on => {
    builds++
    const { sessions } = tablesOf(on)
    return on
      .update(sessions)
      .set({ deviceLabel: sql`${sql.placeholder('label')}` })
      .where(eq(sessions.id, sql.placeholder('id')))
      .returning({ id: sessions.id })
  })
  return { rename: (on: DbExecutor, id: string, label: string) => rename(on).execute({ id, label }), builds: () => builds }
}

const labelOf = async (db: DbExecutor, id: string) => {
  const { sessions } = tablesOf(db)
  const [row] = await db.select({ label: sessions.deviceLabel }).from(sessions).where(eq(sessions.id, id))
  return row?.label
}

for (const engine of ENGINES)
  describe(`a reused statement (${engine})`, () => {
    let database: TestDatabase
    beforeEach(async () => {
      database = await openTestDatabase(engine)
      await database.db.insert(tablesOf(database.db).sessions).values([{ id: 'shop-1' }, { id: 'shop-2' }])
    })
    afterEach(() => database.dispose())

    it('runs inside the transaction it is given: committed with it, rolled back with it', async () => {
      const { rename } = renamer()
      assert.deepEqual(await writeTransaction(database.db, tx => rename(tx, 'shop-1', 'first')), [{ id: 'shop-1' }])
      await assert.rejects(
        writeTransaction(database.db, async tx => {
          await rename(tx, 'shop-1', 'second')
          assert.equal(await labelOf(tx, 'shop-1'), 'second', 'seen inside its transaction')
          throw new Error('abandoned')
        }),
        /abandoned/
      )
      assert.equal(await labelOf(database.db, 'shop-1'), 'first')
      // Outside any transaction, and with other values each time.
      assert.deepEqual(await rename(database.db, 'shop-2', 'third'), [{ id: 'shop-2' }])
      assert.deepEqual(await rename(database.db, 'nobody', 'x'), [])
      assert.equal(await labelOf(database.db, 'shop-2'), 'third')
    })

    it(engine === 'sqlite' ? 'is built once per database, whichever transaction first runs it' : 'is built on each executor it is given', async () => {
      const { rename, builds } = renamer()
      for (let round = 0; round < 3; round++) {
        await rename(database.db, 'shop-1', `label ${round}`)
        await writeTransaction(database.db, tx => rename(tx, 'shop-2', `label ${round}`))
      }
      assert.equal(builds(), engine === 'sqlite' ? 1 : 6)
      const other = await openTestDatabase(engine)
      try {
        await other.db.insert(tablesOf(other.db).sessions).values({ id: 'shop-1' })
        await rename(other.db, 'shop-1', 'elsewhere')
        assert.equal(builds(), engine === 'sqlite' ? 2 : 7, 'another database gets its own')
        assert.equal(await labelOf(other.db, 'shop-1'), 'elsewhere')
        assert.equal(await labelOf(database.db, 'shop-1'), 'label 2', 'and leaves the first one alone')
      } finally {
        await other.dispose()
      }
    })
  })
