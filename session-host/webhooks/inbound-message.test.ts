import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { WAMessage } from '@whiskeysockets/baileys'
import { describeInboundMessage, senderOf } from './inbound-message.ts'

const key = { remoteJid: '6281199990001@s.whatsapp.net', fromMe: false, id: 'ABC123' }

describe('message.received data', () => {
  it('gives media metadata without downloading anything', () => {
    const message = {
      key,
      pushName: 'Budi',
      messageTimestamp: 1_767_225_600,
      message: {
        documentMessage: {
          mimetype: 'application/pdf',
          fileName: 'invoice.pdf',
          fileLength: 48_213,
          caption: 'the invoice',
          url: 'https://mmg.example/x',
          mediaKey: new Uint8Array(32)
        }
      }
    } as unknown as WAMessage
    assert.deepEqual(describeInboundMessage(message), {
      messageId: 'ABC123',
      from: '6281199990001',
      fromLid: null,
      fromJid: key.remoteJid,
      pushName: 'Budi',
      timestamp: '2026-01-01T00:00:00.000Z',
      type: 'document',
      media: { mimetype: 'application/pdf', fileName: 'invoice.pdf', size: 48_213, caption: 'the invoice' }
    })
  })

  it('takes the phone number from the alternative JID of a LID-addressed chat', () => {
    const message = {
      key: { ...key, remoteJid: '123456789@lid', remoteJidAlt: '6281199990001@s.whatsapp.net' },
      message: { extendedTextMessage: { text: 'hi' } }
    } as unknown as WAMessage
    assert.equal(describeInboundMessage(message)?.from, '6281199990001')
    assert.equal(describeInboundMessage(message)?.text, 'hi')
  })

  it('names the sender of a message that came by LID alone with the number the session learnt for that LID', () => {
    const message = { key: { ...key, remoteJid: '123456789@lid' }, message: { conversation: 'by LID only' } } as unknown as WAMessage
    const data = describeInboundMessage(message, '6281199990001')
    assert.deepEqual([data?.from, data?.fromLid, data?.fromJid, data?.text], ['6281199990001', '123456789', '123456789@lid', 'by LID only'])
  })

  it('gives no number for a LID the session never learnt, and keeps the LID', () => {
    const message = { key: { ...key, remoteJid: '123456789@lid' }, message: { conversation: 'by LID only' } } as unknown as WAMessage
    const data = describeInboundMessage(message)
    assert.deepEqual([data?.from, data?.fromLid, data?.fromJid], [null, '123456789', '123456789@lid'])
  })

  it("trusts the message's own number over a learnt one, and reads a group sender from its participant", () => {
    const paired = { key: { ...key, remoteJid: '123456789@lid', remoteJidAlt: '6281199990001@s.whatsapp.net' }, message: { conversation: 'x' } }
    assert.equal(describeInboundMessage(paired as unknown as WAMessage, '6281199990002')?.from, '6281199990001')
    const group = { key: { ...key, remoteJid: '1203630000@g.us', participant: '123456789:3@lid' }, message: { conversation: 'x' } }
    assert.deepEqual(senderOf(group.key as WAMessage['key']), { lid: '123456789' })
    const byNumber = { ...key, remoteJid: '6281199990001@s.whatsapp.net', remoteJidAlt: '123456789@lid' }
    assert.deepEqual(senderOf(byNumber), { phone: '6281199990001', lid: '123456789' })
  })

  it('ignores our own messages and protocol messages', () => {
    assert.equal(describeInboundMessage({ key: { ...key, fromMe: true }, message: { conversation: 'mine' } } as unknown as WAMessage), undefined)
    assert.equal(describeInboundMessage({ key, message: { protocolMessage: { type: 0 } } } as unknown as WAMessage), undefined)
  })
})
