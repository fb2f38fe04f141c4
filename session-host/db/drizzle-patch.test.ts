import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import * as core from 'drizzle-orm'
import type { DrizzleEntityClass } from 'drizzle-orm'
import * as pgCore from 'drizzle-orm/pg-core'
import * as sqliteCore from 'drizzle-orm/sqlite-core'

const { entityKind, is } = core
type Entity = DrizzleEntityClass<object> & { [entityKind]: string }

/** drizzle's own `is` before the patch: the class chain walked on every call. */
const referenceIs = (value: unknown, type: Entity): boolean => {
  if (!value || typeof value !== 'object') return false
  if (value instanceof type) return true
  for (let cls = Object.getPrototypeOf(value).constructor; cls; cls = Object.getPrototypeOf(cls))
    if (entityKind in cls && cls[entityKind] === type[entityKind]) return true
  return false
}

const entities = (): Entity[] =>
  [...new Set([core, pgCore, sqliteCore].flatMap(module => Object.values(module)))].filter(
    (value): value is Entity => typeof value === 'function' && Object.hasOwn(value, entityKind)
  )

/** patches/drizzle-orm+0.45.4.patch: `is` remembers its answer per class (query building asked it hundreds of times a query). */
describe("the project's drizzle-orm patch", () => {
  it('is applied to the installed drizzle-orm', () => {
    const require = createRequire(import.meta.url)
    const installed = join(require.resolve('drizzle-orm').split('/node_modules/drizzle-orm/')[0]!, 'node_modules', 'drizzle-orm')
    assert.equal((JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { version: string }).version, '0.45.4')
    assert.match(readFileSync(join(installed, 'entity.js'), 'utf8'), /the answer for a class is remembered/)
  })

  it('answers as drizzle did for every pair of its entity classes, asked again and again', () => {
    const types = entities()
    assert.ok(types.length > 100, `found ${types.length} entity classes`)
    // Instances without their constructors' side effects: `is` looks only at the class chain.
    const values = types.map(type => Object.create(type.prototype) as object)
    for (let round = 0; round < 2; round++)
      for (const value of values) for (const type of types) assert.equal(is(value, type), referenceIs(value, type), `${value.constructor.name} is ${type.name}`)
    // A copy of a class from a second drizzle install (same kind, not the same class) still counts.
    const Copy = class {
      static readonly [entityKind] = (core.SQL as unknown as Entity)[entityKind]
    }
    assert.equal(is(new Copy(), core.SQL), true)
    assert.equal(is(new Copy(), core.Column), false)
    assert.equal(is(null, core.SQL), false)
    assert.throws(() => is({}, class NotAnEntity {} as never), /doesn't look like a Drizzle entity/)
  })
})
