import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { startInProcessStack } from '../support/in-process-stack.ts'
import { RICH_SAMPLES } from '../support/rich-message-samples.ts'

/**
 * Messages from the API to what the emulator's recipient decrypted, through the gateway, the host
 * and real Baileys sessions. What the gateway alone decides is tested on a fake host in gateway/.
 */
describe('messages through the gateway, the host and the emulator', () => {
  let stack: Awaited<ReturnType<typeof startInProcessStack>>
  before(async () => {
    stack = await startInProcessStack()
  })
  after(() => stack?.stop())

  describe('text', () => {
    const ALICE_LOCAL = '081234567890'
    const ALICE_PN = '6281234567890'

    it('creates and links a session, and sends a text to a local number that the recipient decrypts', async () => {
      const { call, token } = stack
      await stack.linkSession('shop-1', '15550090001')
      const qr = await call('GET', '/api/sessions/shop-1/qr', { token: await token('sessions:read') })
      assert.equal(qr.status, 409)
      assert.equal(qr.body.error.code, 'SESSION_ALREADY_CONNECTED')
      const sent = await call('POST', '/api/messages/shop-1/text', {
        token: await token('messages:send'),
        body: { to: ALICE_LOCAL, text: 'Halo dari gateway' }
      })
      assert.equal(sent.status, 200)
      const data = sent.body.data as { messageId: string; to: string }
      assert.equal(data.to, `+${ALICE_PN}`)
      const received = await stack.sim.waitForSent(m => m.id === data.messageId)
      assert.equal(received.decrypted.find(c => c.jid.startsWith(ALICE_PN))?.message.extendedTextMessage?.text, 'Halo dari gateway')
    })

    it('counts the linked session in its health', async () => {
      const health = (await (await stack.gateway.request('/api/health')).json()) as { data: { host: string; sessions: Record<string, number> } }
      assert.equal(health.data.host, 'ok')
      assert.equal(health.data.sessions.connected, 1)
    })
  })

  describe('location, buttons, list, contact, reaction and poll; number checks', () => {
    const ALICE_LOCAL = '081234567811'
    const ALICE_PN = '6281234567811'
    let sender: string
    before(async () => {
      await stack.linkSession('shop-r', '15550080001')
      sender = await stack.token('messages:send')
    })

    /** Sends through the API and gives what Alice's phone decrypted. */
    const sendAndReceive = async (kind: string, body: object) => {
      const response = await stack.call('POST', `/api/messages/shop-r/${kind}`, { token: sender, body: { to: ALICE_LOCAL, ...body } })
      assert.equal(response.status, 200, JSON.stringify(response.body))
      const data = response.body.data as { messageId: string; to: string; status: string }
      assert.deepEqual([data.to, data.status], [`+${ALICE_PN}`, 'sent'])
      const sent = await stack.sim.waitForSent(m => m.id === data.messageId)
      const message = sent.decrypted.find(c => c.jid.startsWith(ALICE_PN))?.message
      assert.ok(message, 'the recipient decrypted nothing')
      return { message, messageId: data.messageId }
    }

    it('sends a location pin with its name and address', async () => {
      const { message } = await sendAndReceive('location', RICH_SAMPLES.location)
      const location = message.locationMessage
      assert.deepEqual(
        [location?.degreesLatitude, location?.degreesLongitude, location?.name, location?.address],
        [-6.2, 106.816666, 'Monas', 'Gambir, Jakarta']
      )
    })

    it('sends reply buttons', async () => {
      const { message } = await sendAndReceive('button', RICH_SAMPLES.button)
      const buttons = message.buttonsMessage
      assert.equal(buttons?.contentText, 'Pesanan siap?')
      assert.equal(buttons?.footerText, 'Toko Maju')
      assert.deepEqual(
        buttons?.buttons?.map(b => [b.buttonId, b.buttonText?.displayText]),
        [
          ['yes', 'Ya'],
          ['no', 'Tidak']
        ]
      )
    })

    it('sends a list with sections and rows', async () => {
      const { message } = await sendAndReceive('list', RICH_SAMPLES.list)
      const list = message.listMessage
      assert.deepEqual([list?.description, list?.title, list?.footerText, list?.buttonText], ['Pilih jadwal', 'Jadwal', 'Toko Maju', 'Lihat'])
      assert.equal(list?.sections?.[0]?.title, 'Pagi')
      assert.deepEqual(
        list?.sections?.[0]?.rows?.map(r => [r.rowId, r.title, r.description ?? null]),
        [
          ['am-9', '09:00', 'Cabang pusat'],
          ['am-10', '10:00', null]
        ]
      )
    })

    it('sends a contact card whose number is normalised and linked to WhatsApp', async () => {
      const { message } = await sendAndReceive('contact', {
        contacts: [{ fullName: 'Budi; Santoso', phoneNumber: '0812-1111-2222', organization: 'Toko Maju' }]
      })
      const card = message.contactMessage
      assert.equal(card?.displayName, 'Budi; Santoso')
      assert.match(card?.vcard ?? '', /^FN:Budi\\; Santoso$/m)
      assert.match(card?.vcard ?? '', /^TEL;type=CELL;type=VOICE;waid=6281211112222:\+6281211112222$/m)
      assert.match(card?.vcard ?? '', /^ORG:Toko Maju$/m)
      const several = await sendAndReceive('contact', {
        contacts: [
          { fullName: 'A', phoneNumber: '+14155550101' },
          { fullName: 'B', phoneNumber: '+447400123456' }
        ]
      })
      assert.deepEqual(
        several.message.contactsArrayMessage?.contacts?.map(c => c.displayName),
        ['A', 'B']
      )
    })

    it('reacts to a message with an emoji', async () => {
      const { messageId } = await sendAndReceive('text', { text: 'react to me' })
      const { message } = await sendAndReceive('reaction', { messageId, emoji: '👍', fromMe: true })
      assert.equal(message.reactionMessage?.text, '👍')
      assert.equal(message.reactionMessage?.key?.id, messageId)
      assert.equal(message.reactionMessage?.key?.fromMe, true)
    })

    it('sends single- and multiple-choice polls', async () => {
      const single = await sendAndReceive('poll', { name: 'Warna?', options: ['Merah', 'Biru'] })
      const v3 = single.message.pollCreationMessageV3
      assert.equal(v3?.name, 'Warna?')
      assert.deepEqual(
        v3?.options?.map(o => o.optionName),
        ['Merah', 'Biru']
      )
      assert.equal(v3?.selectableOptionsCount, 1)
      const multiple = await sendAndReceive('poll', { name: 'Topping?', options: ['Keju', 'Cokelat', 'Kacang'], selectableCount: 2 })
      assert.equal(multiple.message.pollCreationMessage?.selectableOptionsCount, 2)
    })

    it('checks whether a number is on WhatsApp before anyone sends to it', async () => {
      stack.sim.setNotOnWhatsApp('6281299998888')
      const check = async (number: string) => stack.call('GET', `/api/messages/shop-r/check-number/${encodeURIComponent(number)}`, { token: sender })
      const on = await check('081234567811')
      assert.equal(on.status, 200)
      assert.deepEqual(on.body.data, { input: '081234567811', e164: '+6281234567811', jid: '6281234567811@s.whatsapp.net', onWhatsApp: true })
      const international = await check('+1 415 555 0101')
      assert.equal((international.body.data as { onWhatsApp: boolean }).onWhatsApp, true)
      const off = await check('0812-9999-8888')
      assert.equal((off.body.data as { onWhatsApp: boolean }).onWhatsApp, false)
      const malformed = await check('12345')
      assert.equal(malformed.status, 422)
      assert.equal(malformed.body.error.code, 'INVALID_PHONE_NUMBER')
      const poll = await stack.call('POST', '/api/messages/shop-r/poll', { token: sender, body: { to: '081299998888', name: 'x', options: ['a', 'b'] } })
      assert.equal(poll.status, 422)
      assert.equal(poll.body.error.code, 'NOT_ON_WHATSAPP')
    })
  })
})
