import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { errorEnvelope, ok } from '../../shared/errors.ts'
import { gatewayOnFakeHost } from '../../test/support/gateway-on-fake-host.ts'
import { sentMessage } from '../../test/support/host-answers.ts'
import { RICH_SAMPLES } from '../../test/support/rich-message-samples.ts'

const ALICE_LOCAL = '081234567811'
const ALICE_PN = '6281234567811'
const NOT_ON_WHATSAPP = '6281299998888'

/**
 * Rich messages as the gateway hands them to the host, and number checks, on a fake host. What
 * the recipient decrypts of each is in test/e2e/messages-flow.test.ts.
 */
describe('location, buttons, list, contact, reaction and poll; number checks', () => {
  const { call, token, host, request } = gatewayOnFakeHost()
  const refusesJid = (jid: string) => jid === `${NOT_ON_WHATSAPP}@s.whatsapp.net`
  host.on('POST /internal/sessions/:id/messages/:kind', ({ id = '', kind = '' }, body) => {
    const { jid } = body as { jid: string }
    return refusesJid(jid)
      ? errorEnvelope('NOT_ON_WHATSAPP', `${jid.split('@')[0]} is not on WhatsApp`, { to: jid.split('@')[0] })
      : ok('Message accepted', sentMessage(id, jid, kind))
  })
  host.on('GET /internal/sessions/:id/numbers/:digits', ({ digits = '' }) => ok('Number checked', { onWhatsApp: digits !== NOT_ON_WHATSAPP }))

  /** Sends through the API and gives what the gateway handed the host. */
  const sendAndHand = async (kind: string, body: object) => {
    const response = await call('POST', `/api/messages/shop-r/${kind}`, { token: await token('messages:send'), body: { to: ALICE_LOCAL, ...body } })
    assert.equal(response.status, 200, JSON.stringify(response.body))
    const data = response.body.data as { messageId: string; to: string; status: string }
    assert.deepEqual([data.to, data.status], [`+${ALICE_PN}`, 'sent'])
    return host.callsTo('POST', `/internal/sessions/shop-r/messages/${kind}`).at(-1)?.body
  }

  it("hands the host each message's content as given, with the recipient as a JID", async () => {
    const jid = `${ALICE_PN}@s.whatsapp.net`
    for (const kind of ['location', 'button', 'list'] as const) assert.deepEqual(await sendAndHand(kind, RICH_SAMPLES[kind]), { ...RICH_SAMPLES[kind], jid })
    const poll = (await sendAndHand('poll', { name: 'Topping?', options: ['Keju', 'Cokelat', 'Kacang'], selectableCount: 2 })) as {
      options: string[]
      selectableCount: number
    }
    assert.deepEqual([poll.options, poll.selectableCount], [['Keju', 'Cokelat', 'Kacang'], 2])
    const reaction = (await sendAndHand('reaction', { messageId: '3EB0AABBCCDD', emoji: '👍', fromMe: true })) as {
      messageId: string
      emoji: string
      jid: string
    }
    assert.deepEqual([reaction.messageId, reaction.emoji, reaction.jid], ['3EB0AABBCCDD', '👍', jid])
  })

  it('normalises the numbers inside contact cards as it does recipients, so the card links to WhatsApp', async () => {
    const handed = (await sendAndHand('contact', {
      contacts: [
        { fullName: 'Budi; Santoso', phoneNumber: '0812-1111-2222', organization: 'Toko Maju' },
        { fullName: 'B', phoneNumber: '+44 7400 123456' }
      ]
    })) as { contacts: { fullName: string; phoneNumber: string }[] }
    assert.deepEqual(
      handed.contacts.map(c => [c.fullName, c.phoneNumber]),
      [
        ['Budi; Santoso', '+6281211112222'],
        ['B', '+447400123456']
      ]
    )
    const bad = await call('POST', '/api/messages/shop-r/contact', {
      token: await token('messages:send'),
      body: { to: ALICE_LOCAL, contacts: [{ fullName: 'X', phoneNumber: '12345' }] }
    })
    assert.equal(bad.status, 422)
    assert.equal(bad.body.error.code, 'INVALID_PHONE_NUMBER')
  })

  it('refuses malformed rich messages with 400 and the offending field', async () => {
    const sender = await token('messages:send')
    const before = host.calls.length
    const cases: [string, object, string][] = [
      ['location', { latitude: 91, longitude: 0 }, 'latitude'],
      ['button', { text: 'x', buttons: [] }, 'buttons'],
      ['poll', { name: 'x', options: ['a', 'a'] }, 'options'],
      ['poll', { name: 'x', options: ['a', 'b'], selectableCount: 3 }, 'selectableCount'],
      ['reaction', { messageId: '../x', emoji: '👍' }, 'messageId']
    ]
    for (const [kind, body, field] of cases) {
      const response = await call('POST', `/api/messages/shop-r/${kind}`, { token: sender, body: { to: ALICE_LOCAL, ...body } })
      assert.equal(response.status, 400, kind)
      assert.ok(JSON.stringify(response.body.error.details).includes(field), `${kind}: ${JSON.stringify(response.body.error.details)}`)
    }
    assert.equal(host.calls.length, before)
  })

  it('formats Indonesian local, international and malformed numbers', async () => {
    const sender = await token('messages:send')
    const cases: [string, { e164: string; country: string | null; valid: boolean }][] = [
      ['081234567890', { e164: '+6281234567890', country: 'ID', valid: true }],
      ['+62 812-3456-7890', { e164: '+6281234567890', country: 'ID', valid: true }],
      ['6281234567890', { e164: '+6281234567890', country: 'ID', valid: true }],
      ['+1 415 555 0101', { e164: '+14155550101', country: 'US', valid: true }],
      ['+44 7400 123456', { e164: '+447400123456', country: 'GB', valid: true }],
      ['12', { e164: '', country: null, valid: false }],
      ['not-a-number', { e164: '', country: null, valid: false }]
    ]
    for (const [input, expected] of cases) {
      const response = await call('GET', `/api/messages/format-phone/${encodeURIComponent(input)}`, { token: sender })
      assert.equal(response.status, 200, input)
      const data = response.body.data as { e164: string; country: string | null; valid: boolean }
      // A malformed number is reported invalid; whatever partial form it has is not a promise.
      if (expected.valid) assert.deepEqual({ e164: data.e164, country: data.country, valid: data.valid }, expected, input)
      else assert.equal(data.valid, false, input)
    }
  })

  it('checks whether a number is on WhatsApp by asking the host with its digits, and passes a refused send through', async () => {
    const sender = await token('messages:send')
    const check = async (number: string) => call('GET', `/api/messages/shop-r/check-number/${encodeURIComponent(number)}`, { token: sender })
    const on = await check('081234567811')
    assert.equal(on.status, 200)
    assert.deepEqual(on.body.data, { input: '081234567811', e164: '+6281234567811', jid: '6281234567811@s.whatsapp.net', onWhatsApp: true })
    const international = await check('+1 415 555 0101')
    assert.equal((international.body.data as { onWhatsApp: boolean }).onWhatsApp, true)
    const off = await check('0812-9999-8888')
    assert.equal((off.body.data as { onWhatsApp: boolean }).onWhatsApp, false)
    assert.deepEqual(
      host.callsTo('GET', /\/numbers\//).map(c => c.path.split('/').at(-1)),
      ['6281234567811', '14155550101', NOT_ON_WHATSAPP]
    )
    const malformed = await check('12345')
    assert.equal(malformed.status, 422)
    assert.equal(malformed.body.error.code, 'INVALID_PHONE_NUMBER')
    assert.equal(host.callsTo('GET', /\/numbers\//).length, 3)
    const poll = await call('POST', '/api/messages/shop-r/poll', { token: sender, body: { to: '081299998888', name: 'x', options: ['a', 'b'] } })
    assert.equal(poll.status, 422)
    assert.equal(poll.body.error.code, 'NOT_ON_WHATSAPP')
  })

  it('documents every new route in the OpenAPI document', async () => {
    const doc = (await (await request('/api/openapi.json')).json()) as {
      paths: Record<string, { post?: { requestBody?: { content: Record<string, unknown> } } }>
    }
    for (const kind of ['location', 'button', 'list', 'contact', 'reaction', 'poll', 'image', 'video', 'audio', 'document'])
      assert.ok(doc.paths[`/api/messages/{sessionId}/${kind}`]?.post, kind)
    assert.ok(doc.paths['/api/messages/{sessionId}/image']?.post?.requestBody?.content['multipart/form-data'])
    assert.ok(doc.paths['/api/messages/{sessionId}/check-number/{number}'])
  })
})
