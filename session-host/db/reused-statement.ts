import { engineOf } from './database.ts'
import type { DbExecutor } from './database.ts'

/** A query whose values are all placeholders: run it with theirs. */
type Runnable<Result> = { execute(values: Record<string, unknown>): Promise<Result> }

/**
 * A statement on a hot path, every value a placeholder, so that building it (which costs drizzle as
 * much as SQLite spends running it) is done once. On SQLite it is prepared once per database and
 * runs inside whatever transaction is open on the database's one connection: drizzle's
 * transactions share the database's session, and the prepared query holds only that. PostgreSQL
 * builds it on the executor it is given each time, so it runs on that transaction's own pooled
 * connection.
 */
export const reusedStatement = <Result>(build: (on: DbExecutor) => Runnable<Result> & { prepare(): Runnable<Result> }) => {
  const bySession = new WeakMap<object, Runnable<Result>>()
  return (on: DbExecutor): Runnable<Result> => {
    if (engineOf(on) === 'postgres') return build(on)
    const { session } = on as unknown as { session: object }
    let prepared = bySession.get(session)
    if (!prepared) {
      prepared = build(on).prepare()
      bySession.set(session, prepared)
    }
    return prepared
  }
}
