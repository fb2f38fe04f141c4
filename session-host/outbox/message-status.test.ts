import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { proto } from '@whiskeysockets/baileys'
import { canMoveTo } from './message-status.ts'
import { fromBaileysStatus, refusalReason } from '../sessions/whatsapp-status.ts'

describe('message status', () => {
  it('only moves forward', () => {
    assert.equal(canMoveTo('sent', 'delivered'), true)
    assert.equal(canMoveTo('delivered', 'read'), true)
    assert.equal(canMoveTo('read', 'delivered'), false)
    assert.equal(canMoveTo('delivered', 'sent'), false)
    assert.equal(canMoveTo('queued', 'read'), true)
  })

  it('lets a refusal win only before delivery, and never leaves failed', () => {
    assert.equal(canMoveTo('sent', 'failed'), true)
    assert.equal(canMoveTo('sending', 'failed'), true)
    assert.equal(canMoveTo('delivered', 'failed'), false)
    assert.equal(canMoveTo('failed', 'delivered'), false)
    assert.equal(canMoveTo('failed', 'failed'), false)
  })

  it('maps Baileys statuses', () => {
    const S = proto.WebMessageInfo.Status
    assert.deepEqual([S.ERROR, S.PENDING, S.SERVER_ACK, S.DELIVERY_ACK, S.READ, S.PLAYED].map(fromBaileysStatus), [
      'failed',
      undefined,
      'sent',
      'delivered',
      'read',
      'read'
    ])
  })

  it('names the 463 refusal', () => {
    assert.match(refusalReason('463'), /^whatsapp_refused_463: /)
    assert.equal(refusalReason('500'), 'whatsapp_refused_500')
  })
})
