import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { eq, or } from 'drizzle-orm'
import { tablesOf } from '../../session-host/db/database.ts'
import { startInProcessStack } from '../support/in-process-stack.ts'
import { until } from '../support/until.ts'
import { startWebhookReceiver } from '../support/webhook-receiver.ts'

type Otp = { otpId: string; status: string; messageId: string; delivery?: { status: string; error: string | null } | null }

const ACCOUNT = '15550100001'
const jidOf = (local: string) => `62${local.slice(1)}@s.whatsapp.net`

/**
 * An OTP to a number that is not on WhatsApp is refused before anything is sent or recorded
 * (such sends are reported to bring restrictions on the whole account), with WhatsApp asked once
 * per number and session while its answer is fresh. The emulator plays the sandbox's test
 * numbers: one ending in 0000 has no WhatsApp account.
 */
describe('the number check before an OTP, against the emulator', () => {
  let stack: Awaited<ReturnType<typeof startInProcessStack>>
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>
  let sender: string
  let admin: string

  before(async () => {
    stack = await startInProcessStack({ magicNumbers: true })
    receiver = await startWebhookReceiver()
    const created = (await stack.linkSession('shop-1', ACCOUNT, { webhook: { url: receiver.url, events: ['message.status', 'otp.status'] } })) as {
      webhook: { secret: string }
    }
    receiver.setSecret(created.webhook.secret)
    sender = await stack.token('otp:send')
    admin = await stack.token('admin')
  })
  after(async () => {
    await stack?.stop()
    await receiver?.stop()
  })

  const sendOtp = (to: string) => stack.call('POST', '/api/messages/shop-1/otp', { token: sender, body: { to } })
  const sentTo = (local: string) => stack.sim.sent.filter(m => m.to === jidOf(local))
  const asked = (local: string) => stack.sim.numberChecks.filter(jid => jid === jidOf(local)).length
  const otpOf = async (otpId: string) => (await stack.call('GET', `/api/otp/${otpId}`, { token: admin })).body.data as Otp

  it('answers 422 NOT_ON_WHATSAPP for an OTP to the 0000 number, and records, sends and announces nothing', async () => {
    const refused = await sendOtp('081234560000')
    assert.equal(refused.status, 422, JSON.stringify(refused.body))
    assert.equal(refused.body.error.code, 'NOT_ON_WHATSAPP')
    assert.deepEqual(refused.body.error.details, { to: '+6281234560000' })
    const doc = (await stack.call('GET', '/api/openapi.json')).body as unknown as {
      paths: Record<string, { post?: { responses: Record<string, { description: string }> } }>
    }
    assert.match(doc.paths['/api/messages/{sessionId}/otp']?.post?.responses['422']?.description ?? '', /\bNOT_ON_WHATSAPP\b/)

    const verify = await stack.call('POST', '/api/otp/verify', { token: admin, body: { sessionId: 'shop-1', to: '081234560000', code: '123456' } })
    assert.equal(verify.status, 404)
    assert.equal(verify.body.error.code, 'OTP_NOT_FOUND')
    const { otps, messages } = tablesOf(stack.db)
    assert.deepEqual(await stack.db.select().from(otps).where(eq(otps.destination, '6281234560000')), [])
    assert.deepEqual(
      await stack.db
        .select()
        .from(messages)
        .where(eq(messages.jid, jidOf('081234560000'))),
      []
    )

    // A real contact still gets its code; its events, which come after, show none for the refused one.
    const sent = await sendOtp('081234567890')
    assert.equal(sent.status, 201, JSON.stringify(sent.body))
    const otp = sent.body.data as Otp
    const copy = await stack.sim.waitForSent(m => m.id === otp.messageId)
    assert.match(copy.decrypted.find(c => c.jid.startsWith('62'))?.message.extendedTextMessage?.text ?? '', /\b\d{4,10}\b/)
    stack.sim.sendReceipt(copy, 'delivery')
    await receiver.waitFor(r => r.find(e => e.type === 'otp.status' && e.data.otpId === otp.otpId), 'otp.status of the delivered OTP')
    assert.deepEqual(sentTo('081234560000'), [])
    assert.ok(!receiver.state.verified.some(e => JSON.stringify(e).includes('6281234560000')), 'no event names the refused number')
  })

  it('asks WhatsApp about a number once for two OTPs to it within the TTL', async () => {
    for (let i = 0; i < 2; i++) assert.equal((await sendOtp('081234570000')).body.error.code, 'NOT_ON_WHATSAPP')
    assert.equal(asked('081234570000'), 1)
    assert.equal((await sendOtp('081234567891')).status, 201)
    // The resend cooldown refuses the second, after the stored answer let it through.
    assert.equal((await sendOtp('081234567891')).status, 429)
    assert.equal(asked('081234567891'), 1)
  })

  it('refuses a number known not to be on WhatsApp while the session is away, and fails an unchecked OTP before it goes out', async () => {
    assert.equal((await sendOtp('081234580000')).status, 422)
    const status = async () => ((await stack.call('GET', '/api/sessions/shop-1/status', { token: admin })).body.data as { status: string }).status
    stack.sim.outage(true)
    await until(async () => ((await status()) === 'connected' ? undefined : true), 'session away')

    const known = await sendOtp('081234580000')
    assert.equal(known.status, 422, JSON.stringify(known.body))
    assert.equal(known.body.error.code, 'NOT_ON_WHATSAPP')
    const unchecked = await sendOtp('081234590000')
    const good = await sendOtp('081234567892')
    assert.equal(unchecked.status, 201, JSON.stringify(unchecked.body))
    assert.equal(good.status, 201)
    const [uncheckedOtp, goodOtp] = [unchecked.body.data as Otp, good.body.data as Otp]
    assert.equal((await otpOf(uncheckedOtp.otpId)).delivery?.status, 'queued')

    stack.sim.outage(false)
    await stack.sim.waitForSent(m => m.id === goodOtp.messageId, 30_000)
    const failed = await until(async () => {
      const view = await otpOf(uncheckedOtp.otpId)
      return view.status === 'failed' ? view : undefined
    }, 'the unchecked OTP failed')
    assert.match(failed.delivery?.error ?? '', /^not_on_whatsapp/)
    await receiver.waitFor(
      r => r.find(e => e.type === 'otp.status' && e.data.otpId === uncheckedOtp.otpId && e.data.status === 'failed'),
      'otp.status failed for the unchecked OTP'
    )
    assert.deepEqual(sentTo('081234590000'), [])
    assert.deepEqual(sentTo('081234580000'), [])
    assert.equal(asked('081234590000'), 1)
    assert.equal(asked('081234580000'), 1)
    const { messages } = tablesOf(stack.db)
    const rows = await stack.db
      .select({ jid: messages.jid })
      .from(messages)
      .where(or(eq(messages.jid, jidOf('081234580000')), eq(messages.jid, jidOf('081234590000'))))
    assert.deepEqual(rows, [{ jid: jidOf('081234590000') }], 'the OTP refused while away queued nothing')
  })
})
