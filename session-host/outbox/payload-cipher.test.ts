import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createPayloadCipher } from './payload-cipher.ts'

const SECRET = 'internal-secret-for-tests-0123456789'

describe('queued payloads at rest', () => {
  it('round-trips and hides the text', () => {
    const cipher = createPayloadCipher(SECRET)
    const sealed = cipher.seal('msg-1', { text: 'Your code is 482913' })
    assert.doesNotMatch(sealed, /482913|Your code/)
    assert.deepEqual(cipher.open('msg-1', sealed), { text: 'Your code is 482913' })
  })

  it('refuses another row id, another key and a changed byte', () => {
    const sealed = createPayloadCipher(SECRET).seal('msg-1', { text: 'hello' })
    assert.throws(() => createPayloadCipher(SECRET).open('msg-2', sealed))
    assert.throws(() => createPayloadCipher(`${SECRET}!`).open('msg-1', sealed))
    const [v, iv, body] = sealed.split('.') as [string, string, string]
    const bytes = Buffer.from(body, 'base64url')
    bytes[0] = (bytes[0] ?? 0) ^ 1
    assert.throws(() => createPayloadCipher(SECRET).open('msg-1', `${v}.${iv}.${bytes.toString('base64url')}`))
  })
})
