import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import type { WASocket } from '@whiskeysockets/baileys'
import { createConnectGate } from './connect-gate.ts'

/** A socket as far as the gate looks at it: its connection updates. */
const fakeSocket = () => {
  const ev = new EventEmitter()
  return { socket: { ev } as unknown as WASocket, update: (update: Record<string, unknown>) => ev.emit('connection.update', update) }
}

describe('the connect gate', () => {
  it('lets `limit` sockets connect at once and the next in as each opens, shows a QR or closes', async () => {
    const gate = createConnectGate(2)
    const sockets = Array.from({ length: 5 }, fakeSocket)
    const admitted: number[] = []
    const entries = sockets.map((entry, index) =>
      gate.enter().then(release => {
        admitted.push(index)
        gate.hold(entry.socket, release)
      })
    )
    await new Promise(resolve => setImmediate(resolve))
    assert.deepEqual(admitted, [0, 1])
    assert.equal(gate.waiting, 3)
    sockets[0]!.update({ connection: 'connecting' })
    await new Promise(resolve => setImmediate(resolve))
    assert.deepEqual(admitted, [0, 1], 'still handshaking')
    sockets[0]!.update({ connection: 'open' })
    sockets[1]!.update({ qr: '2@ref' })
    await new Promise(resolve => setImmediate(resolve))
    assert.deepEqual(admitted, [0, 1, 2, 3])
    sockets[2]!.update({ connection: 'close' })
    sockets[2]!.update({ connection: 'close' })
    await Promise.all(entries)
    assert.deepEqual(admitted, [0, 1, 2, 3, 4])
    assert.equal(gate.connecting, 2, 'a second close gave nothing back twice')
  })
})
