import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { startInProcessStack } from '../support/in-process-stack.ts'
import { openQrPage } from '../support/qr-page-checks.ts'

type Stack = Awaited<ReturnType<typeof startInProcessStack>>
type LinkData = { url: string; path: string; expiresAt: string }
type State = { status: string; qrImage: string | null; phoneNumber: string | null }

/**
 * The QR page with a real session behind it: the host's live QR, and the page's state turning to
 * connected once the emulator's phone scans it. Links, HTML and access are tested on a fake host
 * in gateway/routes/qr-page.test.ts.
 */
describe('QR page behind a signed link, with the host and the emulator', () => {
  let stack: Stack
  let admin: string
  before(async () => {
    stack = await startInProcessStack()
    admin = await stack.token('admin')
    assert.equal((await stack.call('POST', '/api/sessions/create', { token: admin, body: { sessionId: 'desk' } })).status, 201)
  })
  after(() => stack.stop())

  const mint = async (sessionId: string, token: string) => stack.call('POST', `/api/sessions/${sessionId}/qr-link`, { token })
  const get = (path: string) => stack.gateway.request(path)

  it('shows the live QR, then turns to connected by itself', async () => {
    const link = (await mint('desk', admin)).body.data as LinkData
    const { statePath } = await openQrPage(get, link.path, 'desk')

    const poll = async (): Promise<State> => ((await (await get(statePath)).json()) as { data: State }).data
    let state = await poll()
    for (let i = 0; i < 200 && !state.qrImage; i++, state = await poll()) await new Promise(r => setTimeout(r, 20))
    assert.equal(state.status, 'qr')
    assert.match(state.qrImage ?? '', /^data:image\/png;base64,/)

    const currentQr = async () => ((await stack.call('GET', '/api/sessions/desk/qr', { token: admin })).body.data as { qr: string } | undefined)?.qr
    await stack.sim.linkWithQr(currentQr, { accountPn: '6281200000777' })
    for (let i = 0; i < 300 && state.status !== 'connected'; i++, state = await poll()) await new Promise(r => setTimeout(r, 20))
    assert.deepEqual(state, { sessionId: 'desk', status: 'connected', reason: null, phoneNumber: '6281200000777', qrImage: null, qrRefreshed: false })
  })
})
