import assert from 'node:assert/strict'
import { before, describe, it } from 'node:test'
import { errorEnvelope, ok } from '../../shared/errors.ts'
import { answer } from '../../test/support/fake-host.ts'
import { gatewayOnFakeHost } from '../../test/support/gateway-on-fake-host.ts'
import { sessionView } from '../../test/support/host-answers.ts'
import { openQrPage } from '../../test/support/qr-page-checks.ts'

type LinkData = { url: string; path: string; expiresAt: string }
type State = { status: string; qrImage: string | null; phoneNumber: string | null }

const QR_IMAGE = 'data:image/png;base64,iVBORw0KGgo='

/**
 * The QR page's links, HTML and access rules, on a fake host that knows the sessions created
 * through it. The page turning to connected once the phone links is in test/e2e/qr-page-flow.test.ts.
 */
describe('QR page behind a signed link', () => {
  const stack = gatewayOnFakeHost()
  const { host } = stack
  const created = new Set<string>()
  let linkState: Record<string, unknown> = { status: 'qr', reason: null, phoneNumber: null, qrImage: QR_IMAGE, qrRefreshed: false }
  const missing = (id: string) => errorEnvelope('SESSION_NOT_FOUND', `Session ${id} does not exist`)
  host.on('POST /internal/sessions', (_params, body) => {
    const { sessionId } = body as { sessionId: string }
    created.add(sessionId)
    return answer(ok('Session created', sessionView(sessionId, { status: 'connecting' })), { status: 201 })
  })
  host.on('GET /internal/sessions/:id', ({ id = '' }) => (created.has(id) ? ok('Session status', sessionView(id, { status: 'qr' })) : missing(id)))
  host.on('GET /internal/sessions/:id/link-state', ({ id = '' }) => (created.has(id) ? ok('Link state', { sessionId: id, ...linkState }) : missing(id)))

  let admin: string
  before(async () => {
    admin = await stack.token('admin')
    assert.equal((await stack.call('POST', '/api/sessions/create', { token: admin, body: { sessionId: 'desk' } })).status, 201)
  })
  const mint = async (sessionId: string, token: string) => stack.call('POST', `/api/sessions/${sessionId}/qr-link`, { token })
  const get = (path: string) => stack.request(path)
  const getWithToken = (path: string, token: string) => stack.request(path, { headers: { authorization: `Bearer ${token}` } })

  it('mints links only for an authenticated caller allowed to see the session', async () => {
    assert.equal((await stack.call('POST', '/api/sessions/desk/qr-link')).status, 401)
    const sendOnly = await mint('desk', await stack.token('otp:send'))
    assert.equal(sendOnly.status, 403)
    assert.equal(sendOnly.body.error.code, 'INSUFFICIENT_SCOPE')
    const otherSession = await mint('desk', await stack.token('sessions:read', { sessions: ['shop-9'] }))
    assert.equal(otherSession.body.error.code, 'SESSION_FORBIDDEN')
    assert.equal((await mint('nope', admin)).body.error.code, 'SESSION_NOT_FOUND')
    const ok = await mint('desk', await stack.token('sessions:read', { sessions: ['desk'] }))
    assert.equal(ok.status, 201)
    const data = ok.body.data as LinkData
    assert.match(data.path, /^\/api\/sessions\/desk\/qr-page\?expires=\d+&signature=[A-Za-z0-9_-]{43}$/)
    assert.ok(Date.parse(data.expiresAt) - Date.now() <= 10 * 60_000)
  })

  it("serves the page as HTML under a nonce CSP, and hands its state poll the host's link state, uncached", async () => {
    const link = (await mint('desk', admin)).body.data as LinkData
    const { page, html, statePath } = await openQrPage(get, link.path, 'desk')
    // The script the CSP allows is the page's own: its nonce is the header's.
    const nonce = /'nonce-([^']+)'/.exec(page.headers.get('content-security-policy') ?? '')?.[1]
    assert.ok(nonce && html.includes(`nonce="${nonce}"`))

    const poll = async () => {
      const response = await get(statePath)
      assert.equal(response.headers.get('cache-control'), 'no-store')
      return ((await response.json()) as { data: State }).data
    }
    const state = await poll()
    assert.equal(state.status, 'qr')
    assert.match(state.qrImage ?? '', /^data:image\/png;base64,/)
    linkState = { status: 'connected', reason: null, phoneNumber: '6281200000777', qrImage: null, qrRefreshed: false }
    assert.deepEqual(await poll(), { sessionId: 'desk', status: 'connected', reason: null, phoneNumber: '6281200000777', qrImage: null, qrRefreshed: false })
  })

  it('serves the page to a bearer token that may read the session, as the original API served it to its callers', async () => {
    const withToken = async (token: string) => getWithToken('/api/sessions/desk/qr-page', token)
    const page = await withToken(admin)
    assert.equal(page.status, 200)
    assert.match(await page.text(), /data-state="\/api\/sessions\/desk\/qr-page\/state\?expires=\d+&amp;signature=/)
    assert.equal((await withToken(await stack.token('sessions:read', { sessions: ['other'] }))).status, 401)
    assert.equal((await withToken(await stack.token('otp:send'))).status, 401)
    assert.equal((await withToken('not-a-token')).status, 401)
  })

  it('refuses a missing, forged, borrowed or expired link', async () => {
    assert.equal((await stack.call('POST', '/api/sessions/create', { token: admin, body: { sessionId: 'other' } })).status, 201)
    const link = (await mint('desk', admin)).body.data as LinkData
    const query = link.path.split('?')[1] as string
    assert.equal((await get('/api/sessions/desk/qr-page')).status, 401)
    assert.equal((await get('/api/sessions/desk/qr-page/state')).status, 401)
    assert.equal(
      (await get(`/api/sessions/desk/qr-page?${query.replace(/signature=(.)/, (_, first: string) => `signature=${first === 'A' ? 'B' : 'A'}`)}`)).status,
      401
    )
    assert.equal((await get(`/api/sessions/other/qr-page?${query}`)).status, 401)
    const borrowed = await get(`/api/sessions/other/qr-page/state?${query}`)
    assert.equal(borrowed.status, 401)
    assert.equal(((await borrowed.json()) as { error: { code: string } }).error.code, 'UNAUTHORIZED')
    assert.equal((await get(`/api/sessions/desk/qr-page/state?${query}`)).status, 200)
    stack.advanceClock(10 * 60_000 + 1_000)
    assert.equal((await get(link.path)).status, 401)
    assert.equal((await get(`/api/sessions/desk/qr-page/state?${query}`)).status, 401)
  })

  it('lists the link route in the OpenAPI document', async () => {
    const doc = (await (await get('/api/openapi.json')).json()) as { paths: Record<string, unknown> }
    for (const path of ['/api/sessions/{sessionId}/qr-link', '/api/sessions/{sessionId}/qr-page', '/api/sessions/{sessionId}/qr-page/state'])
      assert.ok(doc.paths[path], path)
  })
})
