import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { z } from 'zod'
import { toErrorResponse } from './error-response.ts'

/** The fields a validation failure of `schema` on `input` names in the envelope. */
const fieldsOf = (schema: z.ZodType, input: unknown) => {
  const result = schema.safeParse(input)
  assert.ok(!result.success)
  const response = toErrorResponse(result.error)
  assert.equal(response.status, 400)
  const { error } = response.body
  assert.equal(error?.code, 'VALIDATION_ERROR')
  return (error.details as { fields: { path: string; message: string }[] }).fields
}

describe('validation failures in the envelope', () => {
  const verifyBody = z.union([z.object({ otpId: z.string(), code: z.string() }), z.object({ sessionId: z.string(), to: z.string(), code: z.string() })])

  it('names each field of an object that failed', () => {
    const fields = fieldsOf(z.object({ to: z.string(), ttl: z.number().max(10) }), { ttl: 11 })
    assert.deepEqual(
      fields.map(field => field.path),
      ['to', 'ttl']
    )
  })

  it('names the fields of the union option the input came closest to, not "Invalid input" at the root', () => {
    const codeAsNumber = fieldsOf(verifyBody, { otpId: 'otp_1', code: 931534 })
    assert.deepEqual(
      codeAsNumber.map(field => field.path),
      ['code']
    )
    assert.match(codeAsNumber[0]!.message, /expected string, received number/)
    assert.deepEqual(
      fieldsOf(verifyBody, { otpId: 'otp_1' }).map(field => field.path),
      ['code']
    )
    assert.deepEqual(
      fieldsOf(verifyBody, { sessionId: 'shop-1', to: '081234567890' }).map(field => field.path),
      ['code']
    )
  })

  it('names what each option lacks when they come equally close, and a failure they share once', () => {
    assert.deepEqual(
      fieldsOf(verifyBody, { to: '081234567890', code: '123456' }).map(field => field.path),
      ['otpId', 'sessionId']
    )
    const notAnObject = fieldsOf(verifyBody, 5)
    assert.equal(notAnObject.length, 1)
    assert.equal(notAnObject[0]!.path, '')
    assert.match(notAnObject[0]!.message, /expected object/)
  })

  it('puts the fields of a nested union under its path', () => {
    const nested = z.object({ body: z.object({ choice: z.union([z.object({ a: z.string() }), z.object({ b: z.number(), c: z.number() })]) }) })
    assert.deepEqual(
      fieldsOf(nested, { body: { choice: { a: 1 } } }).map(field => field.path),
      ['body.choice.a']
    )
  })
})
