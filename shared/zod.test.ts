import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
// Only shared modules here, and no gateway module before them: nothing else extends zod first.
import { OtpView, VerifyAnswer } from './host-api/otp.ts'
import { SessionId } from './ids.ts'

const SHARED = import.meta.dirname

describe('the shared schemas', () => {
  it('take .openapi() even when made before the gateway loads zod-openapi', () => {
    for (const schema of [OtpView, VerifyAnswer, SessionId]) assert.equal(typeof schema.openapi, 'function')
    assert.equal(VerifyAnswer.openapi('Documented').safeParse({}).success, VerifyAnswer.safeParse({}).success)
  })

  it('all come from shared/zod.ts, never from zod itself', () => {
    const direct = readdirSync(SHARED, { recursive: true, withFileTypes: true })
      .filter(entry => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts'))
      .map(entry => join(entry.parentPath, entry.name))
      .filter(file => relative(SHARED, file) !== 'zod.ts' && /^import \{[^}]*\} from 'zod'/m.test(readFileSync(file, 'utf8')))
    assert.deepEqual(direct, [])
  })
})
