import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ok } from '../../shared/errors.ts'
import { gatewayOnFakeHost } from '../../test/support/gateway-on-fake-host.ts'
import { sentMessage } from '../../test/support/host-answers.ts'
import { formToObject, toCurrentNames } from './original-api.ts'

describe("the original API's bodies", () => {
  it("reads forms with the original parser's nesting, and refuses unsafe or too deep field names", () => {
    assert.deepEqual(JSON.parse(JSON.stringify(formToObject('to=0812&buttons[0][text]=Ya&buttons[1][text]=Tidak&tags[]=a&tags[]=b'))), {
      to: '0812',
      buttons: [{ text: 'Ya' }, { text: 'Tidak' }],
      tags: ['a', 'b']
    })
    assert.throws(() => formToObject('__proto__[polluted]=1'), /malformed/)
    assert.throws(() => formToObject('a[b][c][d][e][f][g]=1'), /malformed/)
  })

  it('takes the original names where ours are absent, ours where both come', () => {
    assert.deepEqual(toCurrentNames('/api/messages/s/text', { phone: '0812', message: 'hi' }, false), { to: '0812', text: 'hi' })
    assert.deepEqual(toCurrentNames('/api/messages/s/text', { phone: '0812', to: '0813', message: 'hi' }, false), { to: '0813', text: 'hi' })
    assert.deepEqual(toCurrentNames('/api/messages/s/location', { latitude: '-6.2', longitude: '106.8', locationName: 'Kantor' }, false), {
      latitude: -6.2,
      longitude: 106.8,
      name: 'Kantor'
    })
  })

  it('hands back the same body when there is nothing to change, so the request goes on as it came', () => {
    const current = { to: '+6281234567890', code: '123456' }
    assert.equal(toCurrentNames('/api/otp/verify', current, false), current)
    const buttons = { to: '0812', text: 'pick', buttons: [{ text: 'Yes' }] }
    const renamed = toCurrentNames('/api/messages/s/button', buttons, false)
    assert.notEqual(renamed, buttons)
    assert.deepEqual(renamed.buttons, [{ id: 'btn_1', text: 'Yes' }])
    assert.deepEqual(buttons.buttons, [{ text: 'Yes' }], 'the body it was given is not changed')
    const form = { to: '0812', ptt: 'true', length: '6' }
    assert.deepEqual(toCurrentNames('/api/messages/s/audio', form, true), { to: '0812', ptt: true, length: 6 })
    assert.deepEqual(form, { to: '0812', ptt: 'true', length: '6' })
  })
})

describe('bodies nested too deeply for the renaming to handle', () => {
  const stack = gatewayOnFakeHost({ maxBodyBytes: 64 * 1024 })

  const deep = (levels: number) => `{"to":${'{"a":'.repeat(levels)}1${'}'.repeat(levels)},"text":"x"}`

  it('answers 400 VALIDATION_ERROR, as JSON and as JSON sent with a form type, instead of failing inside', async () => {
    const token = await stack.token('messages:send')
    for (const type of ['application/json', 'application/x-www-form-urlencoded']) {
      const response = await stack.request('/api/messages/shop-1/text', {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': type },
        body: deep(8_000)
      })
      assert.equal(response.status, 400, type)
      const body = (await response.json()) as { error: { code: string }; message: string }
      assert.equal(body.error.code, 'VALIDATION_ERROR', type)
      assert.match(body.message, /nests deeper than 32/)
    }
    assert.deepEqual(stack.host.calls, [])
  })
})

describe("the original API's calls, as the gateway hands them to the host", () => {
  const stack = gatewayOnFakeHost()
  stack.host.on('POST /internal/sessions/:id/messages/text', ({ id = '' }, body) =>
    ok('Message accepted', sentMessage(id, (body as { jid: string }).jid, 'text'))
  )
  const post = async (type: string, body: string) =>
    stack.request('/api/messages/shop-1/text', {
      method: 'POST',
      headers: { authorization: `Bearer ${await stack.token('messages:send')}`, 'content-type': type },
      body
    })

  it('reads a form with `phone` and `message` into the same send as JSON with `to` and `text`', async () => {
    assert.equal((await post('application/x-www-form-urlencoded', 'phone=08123456789&message=Halo+dari+form')).status, 200)
    assert.equal((await post('application/json', JSON.stringify({ to: '08123456789', text: 'Halo dari form' }))).status, 200)
    const [form, json] = stack.host.callsTo('POST', '/internal/sessions/shop-1/messages/text').map(c => c.body)
    assert.deepEqual(form, { jid: '628123456789@s.whatsapp.net', text: 'Halo dari form' })
    assert.deepEqual(json, form)
  })

  it('answers another body type with 415, naming JSON and forms, asking the host nothing', async () => {
    const before = stack.host.calls.length
    const response = await post('text/plain', 'phone=08123456789&message=hi')
    assert.equal(response.status, 415)
    const body = (await response.json()) as { error: { code: string; details: { accepted: string[] } } }
    assert.equal(body.error.code, 'UNSUPPORTED_MEDIA_TYPE')
    assert.deepEqual(body.error.details.accepted, ['application/json', 'application/x-www-form-urlencoded'])
    assert.equal(stack.host.calls.length, before)
  })
})
