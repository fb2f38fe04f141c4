import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { SQL, getTableName, is } from 'drizzle-orm'
import { PgDialect, PgTable, getTableConfig as pgTableConfig } from 'drizzle-orm/pg-core'
import { SQLiteSyncDialect, SQLiteTable, getTableConfig as sqliteTableConfig } from 'drizzle-orm/sqlite-core'
import type { Column, Table } from 'drizzle-orm'
import * as pg from './pg-schema.ts'
import * as sqlite from './schema.ts'

/**
 * The two schemas describe one database: code written against one must run on the other. These
 * tests reduce each table to what it means (columns, keys, constraints, indexes) and compare; the
 * types below make `tsc` fail when the row types part.
 */

/** True only when A and B are the same type: mutual assignability would let `any` through. */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false

type TableNames<Module> = { [K in keyof Module]: Module[K] extends Table ? K : never }[keyof Module]
type SqliteTableName = TableNames<typeof sqlite>
type Rows<T> = T extends { $inferSelect: infer Select; $inferInsert: infer Insert } ? { select: Select; insert: Insert } : never
type SameRows<K extends SqliteTableName> = K extends keyof typeof pg ? Equal<Rows<(typeof sqlite)[K]>, Rows<(typeof pg)[K]>> : false

// Each `true` compiles only while the table's selected and inserted rows are the same type in both
// dialects; the mapped type makes a new table in schema.ts a compile error until it is listed here.
const rowTypesAgree: { [K in SqliteTableName]: SameRows<K> } = {
  sessions: true,
  authCreds: true,
  authKeys: true,
  otps: true,
  webhookEndpoints: true,
  webhookEvents: true,
  webhookDeliveries: true,
  messages: true,
  hosts: true,
  sessionLeases: true,
  recipientChecks: true,
  lidMappings: true,
  sendGovernor: true,
  knownChats: true
}
const sameTableExports: Equal<SqliteTableName, TableNames<typeof pg>> = true

/** The storage classes the app relies on; a column type missing here fails the test until mapped. */
const SQLITE_TYPES: Record<string, string> = {
  SQLiteText: 'text',
  SQLiteTextJson: 'json',
  SQLiteInteger: 'integer',
  SQLiteTimestamp: 'timestamp',
  SQLiteBoolean: 'boolean',
  SQLiteReal: 'real'
}
const PG_TYPES: Record<string, string> = {
  PgText: 'text',
  PgJsonb: 'json',
  PgJson: 'json',
  PgInteger: 'integer',
  PgBigInt53: 'integer',
  PgTimestamp: 'timestamp',
  PgBoolean: 'boolean',
  PgDoublePrecision: 'real'
}

/** The parts of getTableConfig's answer that both dialects have. */
type TableConfig = {
  columns: Column[]
  primaryKeys: { getName(): string; columns: Column[] }[]
  uniqueConstraints: { getName(): string | undefined; columns: Column[] }[]
  foreignKeys: {
    getName(): string
    onDelete?: string | undefined
    onUpdate?: string | undefined
    reference(): { columns: Column[]; foreignTable: Table; foreignColumns: Column[] }
  }[]
  indexes: { config: { name?: string | undefined; columns: object[]; unique: boolean; where?: SQL | undefined } }[]
  checks: { name: string }[]
}

type Dialect = { config: (table: Table) => TableConfig; types: Record<string, string>; render: (sql: SQL) => string }

// `tablesOf` picked each table by its dialect's class, so the casts only restate what `is` checked.
const SQLITE: Dialect = {
  config: table => sqliteTableConfig(table as SQLiteTable),
  types: SQLITE_TYPES,
  render: sql => new SQLiteSyncDialect().sqlToQuery(sql).sql
}
const PG: Dialect = { config: table => pgTableConfig(table as PgTable), types: PG_TYPES, render: sql => new PgDialect().sqlToQuery(sql).sql }

/** Column names, in order; an expression (an index on `lower(x)`) reads as 'sql'. */
const names = (columns: readonly object[]): string[] => columns.map(column => ('name' in column && typeof column.name === 'string' ? column.name : 'sql'))
const byName = <T extends { name: string }>(items: T[]): T[] => items.toSorted((a, b) => a.name.localeCompare(b.name))

/** What a table means, in terms both dialects share. */
const describeTable = (table: Table, dialect: Dialect) => {
  const config = dialect.config(table)
  return {
    columns: config.columns.map(column => ({
      name: column.name,
      type: dialect.types[column.columnType] ?? `unmapped ${column.columnType}`,
      notNull: column.notNull,
      hasDefault: column.hasDefault,
      // Literal defaults must match; SQL ones (now() against unixepoch()) differ by dialect on purpose.
      default: is(column.default, SQL) ? 'sql' : column.default,
      primary: column.primary,
      unique: column.isUnique,
      enumValues: column.enumValues
    })),
    primaryKeys: config.primaryKeys.map(key => ({ name: key.getName(), columns: names(key.columns) })),
    uniqueConstraints: byName(config.uniqueConstraints.map(constraint => ({ name: constraint.getName() ?? '', columns: names(constraint.columns) }))),
    foreignKeys: byName(
      config.foreignKeys.map(key => {
        const reference = key.reference()
        return {
          name: key.getName(),
          columns: names(reference.columns),
          table: getTableName(reference.foreignTable),
          foreignColumns: names(reference.foreignColumns),
          onDelete: key.onDelete ?? 'no action',
          onUpdate: key.onUpdate ?? 'no action'
        }
      })
    ),
    indexes: byName(
      config.indexes.map(({ config: index }) => ({
        name: index.name ?? '',
        columns: names(index.columns),
        unique: index.unique,
        partial: index.where !== undefined,
        // Both dialects read these predicates the same way, so their text must match too.
        where: index.where && dialect.render(index.where)
      }))
    ),
    checks: config.checks.map(check => check.name).toSorted()
  }
}

const tablesOf = (module: Record<string, unknown>, kind: typeof SQLiteTable | typeof PgTable): Map<string, Table> =>
  new Map(Object.entries(module).flatMap(([name, value]) => (is(value, kind) ? [[name, value as Table]] : [])))

const sqliteTables = tablesOf(sqlite, SQLiteTable)
const pgTables = tablesOf(pg, PgTable)

describe('the SQLite and PostgreSQL schemas', () => {
  it('declare the same tables under the same export names', () => {
    assert.deepEqual([...pgTables.keys()].toSorted(), [...sqliteTables.keys()].toSorted())
    assert.deepEqual([...pgTables.values()].map(getTableName).toSorted(), [...sqliteTables.values()].map(getTableName).toSorted())
  })

  it('export the same names, so code can pick a dialect by module', () => {
    assert.deepEqual(Object.keys(pg).toSorted(), Object.keys(sqlite).toSorted())
  })

  it('have row types that agree (checked by tsc; listed here for every table)', () => {
    assert.equal(sameTableExports, true)
    assert.deepEqual(Object.keys(rowTypesAgree).toSorted(), [...sqliteTables.keys()].toSorted())
  })

  for (const [name, sqliteTable] of sqliteTables) {
    describe(getTableName(sqliteTable), () => {
      const pgTable = pgTables.get(name)
      const expected = describeTable(sqliteTable, SQLITE)
      const actual = pgTable && describeTable(pgTable, PG)

      it('maps every column type to a shared class', () => {
        for (const column of [...expected.columns, ...(actual?.columns ?? [])]) assert.doesNotMatch(column.type, /^unmapped/, column.name)
      })
      it('has the same columns', () => assert.deepEqual(actual?.columns, expected.columns))
      it('has the same primary and unique keys', () => {
        assert.deepEqual(actual?.primaryKeys, expected.primaryKeys)
        assert.deepEqual(actual?.uniqueConstraints, expected.uniqueConstraints)
      })
      it('has the same foreign keys', () => assert.deepEqual(actual?.foreignKeys, expected.foreignKeys))
      it('has the same indexes, partial ones included', () => assert.deepEqual(actual?.indexes, expected.indexes))
      it('has the same checks', () => assert.deepEqual(actual?.checks, expected.checks))
    })
  }
})
