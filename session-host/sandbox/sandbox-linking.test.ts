import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import pino from 'pino'
import { SandboxLinking } from './sandbox-linking.ts'
import type { SandboxPhone } from './sandbox-linking.ts'

/** A phone whose scans and code entries end when the test says; it records what it was asked. */
const recordingPhone = () => {
  const asked: string[] = []
  const pending: (() => void)[] = []
  const later = () => new Promise<void>(resolve => pending.push(resolve))
  const phone: SandboxPhone = {
    autoLink: async (sessionId, qr) => {
      asked.push(`scan ${sessionId} ${qr}`)
      await later()
    },
    enterPairingCode: async (phoneNumber, code) => {
      asked.push(`code ${phoneNumber} ${code}`)
      await later()
    }
  }
  /** Ends everything under way. */
  const finish = async () => {
    for (const resolve of pending.splice(0)) resolve()
    await new Promise(resolve => setImmediate(resolve))
  }
  return { phone, asked, finish }
}

const settled = async (promise: Promise<unknown>) => {
  let done = false
  void promise.then(() => (done = true))
  await new Promise(resolve => setImmediate(resolve))
  return done
}

describe("the sandbox's phone linking this host's sessions", () => {
  it('scans each QR while no pairing code is asked for', async () => {
    const { phone, asked, finish } = recordingPhone()
    const linking = new SandboxLinking(phone, pino({ level: 'silent' }))
    linking.onQr('shop-1', 'qr-a')
    linking.onQr('shop-1', 'qr-b')
    await finish()
    assert.deepEqual(asked, ['scan shop-1 qr-a', 'scan shop-1 qr-b'])
  })

  it('lets a scan under way end before a pairing request goes on, and scans no QR of that session until the code is entered', async () => {
    const { phone, asked, finish } = recordingPhone()
    const linking = new SandboxLinking(phone, pino({ level: 'silent' }))
    linking.onQr('shop-1', 'qr-a')
    const before = linking.beforePairing('shop-1')
    assert.equal(await settled(before), false, 'the request waits for the scan')
    await finish()
    assert.equal(await settled(before), true)

    linking.onQr('shop-1', 'qr-b')
    linking.onQr('shop-2', 'qr-c')
    linking.codeIssued('shop-1', '6281299990011', 'ABCD-EFGH')
    linking.onQr('shop-1', 'qr-d')
    assert.deepEqual(asked, ['scan shop-1 qr-a', 'scan shop-2 qr-c', 'code 6281299990011 ABCD-EFGH'])

    // Once the code is entered, a later QR of the session (after a logout) is scanned again.
    await finish()
    linking.onQr('shop-1', 'qr-e')
    assert.equal(asked.at(-1), 'scan shop-1 qr-e')
  })

  it('goes back to scanning the QRs of a session whose request failed, or whose code the phone could not enter', async () => {
    const { phone, asked, finish } = recordingPhone()
    const failing: SandboxPhone = { ...phone, enterPairingCode: async () => Promise.reject(new Error('expired')) }
    const linking = new SandboxLinking(failing, pino({ level: 'silent' }))
    await linking.beforePairing('shop-1')
    linking.onQr('shop-1', 'qr-a')
    linking.pairingFailed('shop-1')
    linking.onQr('shop-1', 'qr-b')
    await linking.beforePairing('shop-2')
    linking.codeIssued('shop-2', '6281299990022', 'ABCD-EFGH')
    await new Promise(resolve => setImmediate(resolve))
    linking.onQr('shop-2', 'qr-c')
    await finish()
    assert.deepEqual(asked, ['scan shop-1 qr-b', 'scan shop-2 qr-c'])
  })
})
