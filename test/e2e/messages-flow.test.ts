import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { startInProcessStack } from '../support/in-process-stack.ts'

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
      const sent = await call('POST', '/api/messages/shop-1/text', { token: await token('messages:send'), body: { to: ALICE_LOCAL, text: 'Halo dari gateway' } })
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
})
