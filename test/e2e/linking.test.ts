import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { QR_PAGE_MESSAGES } from '../../gateway/http/qr-page-html.ts'
import type { QrRefreshChild } from '../../session-host/sim/index.ts'
import { startProcessStack } from '../support/process-stack.ts'
import type { ProcessStack } from '../support/process-stack.ts'
import { until } from '../support/until.ts'
import { startWebhookReceiver } from '../support/webhook-receiver.ts'

type Receiver = Awaited<ReturnType<typeof startWebhookReceiver>>
type Qr = { qr: string; qrImage: string; qrCode: string; timestamp: string; instructions: string; refreshed: boolean }
type View = { status: string; reason: string | null; serverError: { code: number; text: string } | null; phoneNumber: string | null; deviceLabel: string }
type LinkState = { status: string; reason: string | null; qrImage: string | null; qrRefreshed: boolean }

const fields = (qr: string) => {
  const [ref, noise, identity, adv, platform] = qr.split('#')[1]!.split(',')
  return { ref, noise, identity, adv, platform }
}

/** A session with a webhook receiver that knows its secret, as an operator would create it. */
const createWithWebhook = async (stack: ProcessStack, receiver: Receiver, body: Record<string, unknown>) => {
  const created = await stack.call('POST', '/api/sessions/create', { body: { ...body, webhook: { url: receiver.url } } })
  assert.equal(created.status, 201, JSON.stringify(created.body))
  receiver.setSecret((created.body.data as { webhook: { secret: string } }).webhook.secret)
  return created.body.data as View
}

const currentQr = (stack: ProcessStack, sessionId: string) => async (): Promise<Qr | undefined> => {
  const response = await stack.call('GET', `/api/sessions/${sessionId}/qr`)
  return response.status === 200 ? (response.body.data as Qr) : undefined
}

const statusOf = (stack: ProcessStack, sessionId: string) => stack.data<View>(`/api/sessions/${sessionId}/status`)

const waitForStatus = (stack: ProcessStack, sessionId: string, status: string) =>
  until(async () => {
    const view = await statusOf(stack, sessionId)
    return view.status === status ? view : undefined
  }, `${sessionId} ${status}`)

/** QR linking on the late-2026 server, once per child of the refresh notification. */
const qrRotationSuite = (child: QrRefreshChild, accountPn: string) =>
  describe(`QR linking when WhatsApp rotates the secret after the scan (<${child}/>)`, () => {
    let stack: ProcessStack
    let receiver: Receiver
    before(async () => {
      stack = await startProcessStack({}, { qrRefreshChild: child })
      receiver = await startWebhookReceiver()
    })
    after(async () => {
      await stack?.stop()
      await receiver?.stop()
    })

    it('shows the refreshed code in the API, the QR page and the session.qr webhook; the stale code is refused and the refreshed one links', async () => {
      await createWithWebhook(stack, receiver, { sessionId: 'front-desk' })
      const first = await until(currentQr(stack, 'front-desk'), 'a QR code')
      assert.equal(first.refreshed, false)
      // The original API's names for the same code, with when it was made and what to do with it.
      assert.equal(first.qrCode, first.qrImage)
      assert.ok(Math.abs(Date.parse(first.timestamp) - Date.now()) < 60_000)
      assert.equal(first.instructions, QR_PAGE_MESSAGES.scan)
      const link = (await stack.call('POST', '/api/sessions/front-desk/qr-link')).body.data as { path: string }
      const page = await (await fetch(`${stack.url}${link.path}`)).text()
      assert.ok(page.includes(QR_PAGE_MESSAGES.refreshed), 'the page can say that the code was refreshed')
      const statePath = /data-state="([^"]+)"/.exec(page)![1]!.replaceAll('&amp;', '&')
      const pageState = async () => ((await (await fetch(`${stack.url}${statePath}`)).json()) as { data: LinkState }).data
      assert.equal((await pageState()).qrRefreshed, false)

      // The phone scans: the server retires that code's secret instead of linking.
      assert.deepEqual(await stack.sim.scanQr(first.qr, { accountPn }), { kind: 'refresh-requested' })
      const refreshed = await until(async () => {
        const qr = await currentQr(stack, 'front-desk')()
        return qr?.refreshed ? qr : undefined
      }, 'the refreshed QR')
      assert.equal(fields(refreshed.qr).ref, fields(first.qr).ref, 'the same ref is shown again')
      assert.equal(fields(refreshed.qr).noise, fields(first.qr).noise)
      assert.equal(fields(refreshed.qr).identity, fields(first.qr).identity)
      assert.notEqual(fields(refreshed.qr).adv, fields(first.qr).adv)
      assert.notEqual(refreshed.qrImage, first.qrImage)
      assert.equal(refreshed.instructions, QR_PAGE_MESSAGES.refreshed)

      const state = await pageState()
      assert.equal(state.qrRefreshed, true)
      assert.equal(state.qrImage, refreshed.qrImage)
      const qrEvent = await receiver.waitFor(r => r.find(e => e.type === 'session.qr' && e.data.refreshed === true), 'a refreshed session.qr webhook')
      assert.equal(qrEvent.data.qr, refreshed.qr)
      assert.ok(receiver.state.verified.some(e => e.type === 'session.qr' && e.data.refreshed === false && e.data.qr === first.qr))

      await assert.rejects(stack.sim.scanQr(first.qr, { accountPn }), { name: 'LinkRefusedError', message: /retired/ })
      const linked = await stack.sim.scanQr(refreshed.qr, { accountPn })
      assert.equal(linked.kind, 'linked')
      const view = await waitForStatus(stack, 'front-desk', 'connected')
      assert.equal(view.phoneNumber, accountPn)
      assert.deepEqual(stack.sim.linkedDevices(accountPn), [{ id: 1, label: 'OTP Gateway' }])
      assert.equal(receiver.state.refused, 0)
    })
  })

qrRotationSuite('companion_reg_refresh', '6281300000001')
qrRotationSuite('pair-device-rotate-qr', '6281300000002')

describe('pairing codes, passkeys and status updates on the late-2026 server, through the gateway and host processes', () => {
  let stack: ProcessStack
  let receiver: Receiver
  before(async () => {
    // A short recycle budget: the server recycles a stream that owes a status ack after 1 s.
    stack = await startProcessStack({}, { statusAckBudgetMs: 1_000 })
    receiver = await startWebhookReceiver()
  })
  after(async () => {
    await stack?.stop()
    await receiver?.stop()
  })

  it('links by pairing code under a custom deviceLabel, which the phone lists, past the refresh frames the server sends first', async () => {
    const created = await stack.call('POST', '/api/sessions/create', { body: { sessionId: 'toko', deviceLabel: 'Toko Maju OTP' } })
    assert.equal(created.status, 201)
    assert.equal((created.body.data as View).deviceLabel, 'Toko Maju OTP')
    await until(currentQr(stack, 'toko'), 'toko ready to link')
    const pairing = await stack.call('POST', '/api/sessions/toko/pairing-code', { body: { phoneNumber: '0813-0000-0003' } })
    assert.equal(pairing.status, 200, JSON.stringify(pairing.body))
    const { code } = pairing.body.data as { code: string }
    assert.match(code, /^[1-9A-HJ-NP-TV-Z]{8}$/)
    // The emulator's phone first sends a frame without a child, one without the crypto fields and a refresh_code frame.
    const outcome = await stack.sim.enterPairingCode('6281300000003', code)
    assert.equal(outcome.kind, 'linked')
    const view = await waitForStatus(stack, 'toko', 'connected')
    assert.equal(view.deviceLabel, 'Toko Maju OTP')
    assert.deepEqual(stack.sim.linkedDevices('6281300000003'), [{ id: 1, label: 'Toko Maju OTP' }])
  })

  it('answers 422 PAIRING_CODE_REFUSED with the server code when WhatsApp refuses the display, and no code; the session can still link', async () => {
    assert.equal((await stack.call('POST', '/api/sessions/create', { body: { sessionId: 'strict' } })).status, 201)
    await until(currentQr(stack, 'strict'), 'strict ready to link')
    // A server that accepts the display only from Windows refuses the host's `Chrome (Linux)`.
    const oses = [...stack.sim.acceptedDisplays.oses]
    stack.sim.acceptedDisplays.oses.splice(0, Infinity, 'Windows')
    try {
      const refused = await stack.call('POST', '/api/sessions/strict/pairing-code', { body: { phoneNumber: '081300000004' } })
      assert.equal(refused.status, 422)
      assert.equal(refused.body.success, false)
      assert.equal(refused.body.error.code, 'PAIRING_CODE_REFUSED')
      assert.deepEqual(refused.body.error.details, { serverCode: 400, serverText: 'bad-request' })
      assert.equal(refused.body.data, undefined)
    } finally {
      stack.sim.acceptedDisplays.oses.splice(0, Infinity, ...oses)
    }
    assert.equal((await statusOf(stack, 'strict')).status, 'qr')
    const retried = await stack.call('POST', '/api/sessions/strict/pairing-code', { body: { phoneNumber: '081300000004' } })
    assert.equal(retried.status, 200)
    assert.equal((await stack.sim.enterPairingCode('6281300000004', (retried.body.data as { code: string }).code)).kind, 'linked')
    await waitForStatus(stack, 'strict', 'connected')
  })

  it('shows a refused companion_finish as link_failed (pairing_refused) with the server code, in the status and a session.status webhook; a new code links', async () => {
    await createWithWebhook(stack, receiver, { sessionId: 'refused' })
    await until(currentQr(stack, 'refused'), 'refused ready to link')
    const first = await stack.call('POST', '/api/sessions/refused/pairing-code', { body: { phoneNumber: '081300000005' } })
    assert.equal(first.status, 200)
    stack.sim.refuseNextIq('md/set/link_code_companion_reg/companion_finish', 401, 'not-authorized')
    await assert.rejects(stack.sim.enterPairingCode('6281300000005', (first.body.data as { code: string }).code), { name: 'LinkRefusedError' })
    const failed = await waitForStatus(stack, 'refused', 'link_failed')
    assert.equal(failed.reason, 'pairing_refused')
    assert.deepEqual(failed.serverError, { code: 401, text: 'not-authorized' })
    const event = await receiver.waitFor(r => r.find(e => e.type === 'session.status' && e.data.status === 'link_failed'), 'a link_failed webhook')
    assert.deepEqual(event.data, {
      sessionId: 'refused',
      status: 'link_failed',
      phoneNumber: null,
      restriction: null,
      reason: 'pairing_refused',
      serverError: { code: 401, text: 'not-authorized' }
    })

    const again = await stack.call('POST', '/api/sessions/refused/pairing-code', { body: { phoneNumber: '081300000005' } })
    assert.equal(again.status, 200, JSON.stringify(again.body))
    assert.equal((await stack.sim.enterPairingCode('6281300000005', (again.body.data as { code: string }).code)).kind, 'linked')
    const view = await waitForStatus(stack, 'refused', 'connected')
    assert.equal(view.reason, null)
  })

  it('ends a passkey-gated link in link_failed (passkey_required) with a session.status webhook, instead of waiting in qr', async () => {
    stack.sim.addAccount('6281300000006', { passkeyRequired: true })
    await createWithWebhook(stack, receiver, { sessionId: 'passkey' })
    await assert.rejects(
      stack.sim.linkWithQr(async () => (await currentQr(stack, 'passkey')())?.qr, { accountPn: '6281300000006' }),
      { name: 'LinkRefusedError', message: /passkey/ }
    )
    const failed = await waitForStatus(stack, 'passkey', 'link_failed')
    assert.equal(failed.reason, 'passkey_required')
    assert.equal(failed.serverError, null)
    await receiver.waitFor(
      r => r.find(e => e.type === 'session.status' && e.data.sessionId === 'passkey' && e.data.reason === 'passkey_required'),
      'a passkey_required webhook'
    )
    const qr = await stack.call('GET', '/api/sessions/passkey/qr')
    assert.equal(qr.status, 503)
    assert.equal(qr.body.error.details?.reason, 'passkey_required')
  })

  it("acks top-level <status> stanzas, so the session stays up across the server's recycle budget", async () => {
    const accountPn = '6281300000007'
    await stack.linkSession('stories', accountPn)
    let logins = 0
    let recycled = 0
    const acked: string[] = []
    const onLogin = (event: { accountPn: string }) => event.accountPn === accountPn && logins++
    const onRecycle = () => recycled++
    const onAck = (event: { accountPn: string; id: string }) => event.accountPn === accountPn && acked.push(event.id)
    stack.sim.on('login', onLogin)
    stack.sim.on('stream-recycled', onRecycle)
    stack.sim.on('status-acked', onAck)
    try {
      const ids = [
        await stack.sim.postStatus('6281399990001', accountPn, 'new menu today'),
        await stack.sim.postStatus('6281399990002', accountPn, 'closed on Sunday')
      ]
      // Three budgets: an un-acked stanza would have recycled the stream by now.
      await new Promise(resolve => setTimeout(resolve, 3_000))
      assert.deepEqual(acked.sort(), [...ids].sort())
      assert.equal(recycled, 0)
      assert.equal(logins, 0, 'the session never had to log in again')
      assert.equal((await statusOf(stack, 'stories')).status, 'connected')
    } finally {
      stack.sim.off('login', onLogin)
      stack.sim.off('stream-recycled', onRecycle)
      stack.sim.off('status-acked', onAck)
    }
  })
})
