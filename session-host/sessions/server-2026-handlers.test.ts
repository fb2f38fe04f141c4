import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import { initAuthCreds, S_WHATSAPP_NET } from '@whiskeysockets/baileys'
import type { BinaryNode, WASocket } from '@whiskeysockets/baileys'
import pino from 'pino'
import { ackStatusStanzas, detectPasskeyRequest, handleQrRotation, withAdvSecret } from './server-2026-handlers.ts'

const QR = 'https://wa.me/settings/linked_devices#2@ref,bm9pc2U=,aWRlbnRpdHk=,b2xkLXNlY3JldA==,1'

/** The slice of a Baileys socket the handlers use: its frame events, creds, event bus and sendNode. */
const fakeSocket = () => {
  const ws = new EventEmitter()
  const ev = new EventEmitter()
  const creds = initAuthCreds()
  ev.on('creds.update', update => Object.assign(creds, update))
  const sent: BinaryNode[] = []
  const socket = { ws, ev, authState: { creds, keys: {} }, sendNode: async (node: BinaryNode) => void sent.push(node) } as unknown as WASocket
  return { socket, ws, creds, sent }
}

const notification = (type: string, child?: string, from = S_WHATSAPP_NET): BinaryNode => ({
  tag: 'notification',
  attrs: { from, type, id: 'n-1', t: '1' },
  ...(child ? { content: [{ tag: child, attrs: {} }] } : {})
})

describe("the host's handlers for the late-2026 server", () => {
  it('replaces only the ADV secret of a linking QR, keeping the prefix and the other fields', () => {
    assert.equal(withAdvSecret(QR, 'bmV3'), 'https://wa.me/settings/linked_devices#2@ref,bm9pc2U=,aWRlbnRpdHk=,bmV3,1')
    assert.equal(withAdvSecret('not a linking QR', 'bmV3'), 'not a linking QR')
    assert.equal(withAdvSecret('https://wa.me/settings/linked_devices#a,b,c', 'bmV3'), 'https://wa.me/settings/linked_devices#a,b,c')
  })

  for (const child of ['companion_reg_refresh', 'pair-device-rotate-qr']) {
    it(`rotates creds.advSecretKey to 32 fresh bytes on companion_reg_refresh with <${child}/>, through creds.update`, () => {
      const { socket, ws, creds } = fakeSocket()
      const before = creds.advSecretKey
      const persisted: unknown[] = []
      socket.ev.on('creds.update', update => persisted.push(update))
      let rotated = 0
      handleQrRotation(socket, () => rotated++)
      ws.emit('CB:notification,type:companion_reg_refresh', notification('companion_reg_refresh', child))
      assert.equal(rotated, 1)
      assert.notEqual(creds.advSecretKey, before)
      assert.equal(Buffer.from(creds.advSecretKey, 'base64').length, 32)
      assert.deepEqual(persisted, [{ advSecretKey: creds.advSecretKey }])
    })
  }

  it('ignores a refresh without either child, one not from the server, and one during a pairing-code link (creds.me set)', () => {
    const { socket, ws, creds } = fakeSocket()
    const before = creds.advSecretKey
    let rotated = 0
    handleQrRotation(socket, () => rotated++)
    ws.emit('CB:notification,type:companion_reg_refresh', notification('companion_reg_refresh'))
    ws.emit('CB:notification,type:companion_reg_refresh', notification('companion_reg_refresh', 'something_else'))
    ws.emit('CB:notification,type:companion_reg_refresh', notification('companion_reg_refresh', 'companion_reg_refresh', '15550001111@s.whatsapp.net'))
    creds.me = { id: '15550001111@s.whatsapp.net', name: '~' }
    ws.emit('CB:notification,type:companion_reg_refresh', notification('companion_reg_refresh', 'companion_reg_refresh'))
    assert.equal(rotated, 0)
    assert.equal(creds.advSecretKey, before)
  })

  it('acks a top-level <status> with class=status, its id, type and participant, addressed to its sender', async () => {
    const { socket, ws, sent } = fakeSocket()
    ackStatusStanzas(socket, pino({ level: 'silent' }))
    ws.emit('CB:status', { tag: 'status', attrs: { from: 'status@broadcast', participant: '15550002222@s.whatsapp.net', id: '3EB0AA', type: 'text', t: '1' } })
    await new Promise(resolve => setImmediate(resolve))
    assert.deepEqual(sent, [
      { tag: 'ack', attrs: { id: '3EB0AA', to: 'status@broadcast', class: 'status', participant: '15550002222@s.whatsapp.net', type: 'text' } }
    ])
  })

  it('reports a passkey request from the server (either notification), and ignores one from anyone else', () => {
    const { socket, ws } = fakeSocket()
    let requested = 0
    detectPasskeyRequest(socket, () => requested++)
    ws.emit('CB:notification,type:passkey_prologue_request', notification('passkey_prologue_request', 'passkey_request_options'))
    ws.emit('CB:notification,type:crsc_continuation', notification('crsc_continuation', 'primary_ephemeral_identity'))
    ws.emit('CB:notification,type:passkey_prologue_request', notification('passkey_prologue_request', 'passkey_request_options', '15550001111@s.whatsapp.net'))
    assert.equal(requested, 2)
  })
})
