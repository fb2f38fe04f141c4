import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { startInProcessStack } from '../../test/support/in-process-stack.ts'
import { formToObject, toCurrentNames } from './original-api.ts'

describe("the original API's bodies", () => {
  it('reads forms with the original parser\'s nesting, and refuses unsafe or too deep field names', () => {
    assert.deepEqual(JSON.parse(JSON.stringify(formToObject('to=0812&buttons[0][text]=Ya&buttons[1][text]=Tidak&tags[]=a&tags[]=b'))), { to: '0812', buttons: [{ text: 'Ya' }, { text: 'Tidak' }], tags: ['a', 'b'] })
    assert.throws(() => formToObject('__proto__[polluted]=1'), /malformed/)
    assert.throws(() => formToObject('a[b][c][d][e][f][g]=1'), /malformed/)
  })

  it('takes the original names where ours are absent, ours where both come', () => {
    assert.deepEqual(toCurrentNames('/api/messages/s/text', { phone: '0812', message: 'hi' }, false), { to: '0812', text: 'hi' })
    assert.deepEqual(toCurrentNames('/api/messages/s/text', { phone: '0812', to: '0813', message: 'hi' }, false), { to: '0813', text: 'hi' })
    assert.deepEqual(toCurrentNames('/api/messages/s/location', { latitude: '-6.2', longitude: '106.8', locationName: 'Kantor' }, false), { latitude: -6.2, longitude: 106.8, name: 'Kantor' })
  })
})

describe('bodies nested too deeply for the renaming to handle', () => {
  let stack: Awaited<ReturnType<typeof startInProcessStack>>
  before(async () => {
    stack = await startInProcessStack({ maxBodyBytes: 64 * 1024 })
  })
  after(() => stack?.stop())

  const deep = (levels: number) => `{"to":${'{"a":'.repeat(levels)}1${'}'.repeat(levels)},"text":"x"}`

  it('answers 400 VALIDATION_ERROR, as JSON and as JSON sent with a form type, instead of failing inside', async () => {
    const token = await stack.token('messages:send')
    for (const type of ['application/json', 'application/x-www-form-urlencoded']) {
      const response = await stack.gateway.request('/api/messages/shop-1/text', { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': type }, body: deep(8_000) })
      assert.equal(response.status, 400, type)
      const body = (await response.json()) as { error: { code: string }; message: string }
      assert.equal(body.error.code, 'VALIDATION_ERROR', type)
      assert.match(body.message, /nests deeper than 32/)
    }
  })
})
