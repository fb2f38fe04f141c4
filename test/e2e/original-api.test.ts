import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { mintToken } from '../../gateway/auth/mint-token.ts'
import { recordSensitive } from '../support/log-audit.ts'
import { mediaSamples, startFileServer } from '../support/media-fixtures.ts'
import { startProcesses } from '../support/processes.ts'
import type { StackProcesses } from '../support/processes.ts'
import { until } from '../support/until.ts'
import type { Envelope } from '../support/api-envelope.ts'

type Received = { messageId: string; text: string | null; received: Record<string, Record<string, unknown>>[] }

const PHONE = '08123456789'
const JID = '628123456789@s.whatsapp.net'

/**
 * A caller written against the original WhatsApp OTP API, switched here by adding a bearer token:
 * its calls, with its field names (JSON and form bodies, multipart uploads), reading the
 * response fields it reads. Sandbox mode, so the session links by itself and what each
 * recipient decrypted can be read back.
 */
describe('calls written for the original WhatsApp OTP API', () => {
  let stack: StackProcesses
  let files: Awaited<ReturnType<typeof startFileServer>>
  let bearer: string
  const sessionId = 'test-session'

  const call = async (method: string, path: string, body?: { json?: unknown; form?: string; multipart?: FormData }) => {
    const headers: Record<string, string> = { authorization: `Bearer ${bearer}` }
    let payload: string | FormData | undefined
    if (body?.json !== undefined) {
      headers['content-type'] = 'application/json'
      payload = JSON.stringify(body.json)
    } else if (body?.form !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded'
      payload = body.form
    } else if (body?.multipart) payload = body.multipart
    const response = await fetch(`${stack.url}${path}`, { method, headers, ...(payload === undefined ? {} : { body: payload }) })
    return { status: response.status, ok: response.ok, body: (await response.json()) as Envelope<Record<string, unknown>> }
  }
  /** What the recipient's phone decrypted for a message id. */
  const receivedFor = (messageId: string) =>
    until(
      async () =>
        ((await call('GET', `/api/sandbox/messages?to=${PHONE}`)).body.data as unknown as Received[]).find(
          m => m.messageId === messageId && m.received.length > 0
        ),
      `message ${messageId} decrypted`
    )

  before(async () => {
    files = await startFileServer()
    stack = await startProcesses({ WA_MODE: 'sandbox', MEDIA_URL_ALLOW_HOSTS: files.hostPort })
    bearer = await mintToken({ secret: stack.env.JWT_SECRET!, scopes: ['admin'], ttlSeconds: 900 })
    recordSensitive(bearer)
  })
  after(async () => {
    await stack?.stop()
    await files?.stop()
  })

  it('health: the top-level status is OK', async () => {
    const health = await call('GET', '/api/health')
    assert.equal(health.status, 200)
    assert.equal(health.body.status, 'OK')
  })

  it('sessions: create (201, isConnected, timestamp), list (sessions, total), status (isConnected, user, lastSeen), QR (409 once connected), restart, delete', async () => {
    const created = await call('POST', '/api/sessions/create', { json: { sessionId } })
    assert.equal(created.status, 201)
    assert.equal(created.body.data.sessionId, sessionId)
    assert.equal(created.body.data.isConnected, false)
    assert.ok(!Number.isNaN(Date.parse(String(created.body.data.timestamp))))
    const generated = await call('POST', '/api/sessions/create', { json: {} })
    assert.equal(generated.status, 201)
    assert.match(String(generated.body.data.sessionId), /^session_[0-9a-f-]{36}$/)

    const status = await until(async () => {
      const response = await call('GET', `/api/sessions/${sessionId}/status`)
      return response.body.data.isConnected ? response : undefined
    }, 'isConnected')
    const user = status.body.data.user as { id: string; name: string | null }
    assert.match(user.id, /^\d+:\d+@s\.whatsapp\.net$/)
    assert.ok(!Number.isNaN(Date.parse(String(status.body.data.lastSeen))))

    const listed = await call('GET', '/api/sessions')
    const sessions = listed.body.data.sessions as { sessionId: string; isConnected: boolean }[]
    assert.equal(listed.body.data.total, sessions.length)
    assert.ok(sessions.some(s => s.sessionId === sessionId && s.isConnected))

    const qr = await call('GET', `/api/sessions/${sessionId}/qr`)
    assert.equal(qr.status, 409)
    assert.equal(qr.body.success, false)
    const page = await fetch(`${stack.url}/api/sessions/${sessionId}/qr-page`, { headers: { authorization: `Bearer ${bearer}` } })
    assert.equal(page.status, 200)
    assert.match(page.headers.get('content-type') ?? '', /text\/html/)
    await page.text()

    const restarted = await call('PUT', `/api/sessions/${generated.body.data.sessionId}/restart`)
    assert.equal(restarted.status, 200)
    assert.equal(typeof restarted.body.data.isConnected, 'boolean')
    assert.ok(restarted.body.data.timestamp)
    assert.equal((await call('DELETE', `/api/sessions/${generated.body.data.sessionId}`)).status, 200)
  })

  it('text: `phone` and `message`, as JSON and as a form', async () => {
    const json = await call('POST', `/api/messages/${sessionId}/text`, { json: { phone: PHONE, message: 'Halo dari API lama' } })
    assert.equal(json.status, 200, JSON.stringify(json.body))
    assert.equal((await receivedFor(String(json.body.data.messageId))).text, 'Halo dari API lama')
    const form = await call('POST', `/api/messages/${sessionId}/text`, { form: new URLSearchParams({ to: PHONE, message: 'sent as a form' }).toString() })
    assert.equal(form.status, 200, JSON.stringify(form.body))
    assert.equal((await receivedFor(String(form.body.data.messageId))).text, 'sent as a form')
  })

  it("OTP: `otp` is the caller's own code; the code is never returned (the one deliberate break)", async () => {
    const sent = await call('POST', `/api/messages/${sessionId}/otp`, { json: { to: PHONE, companyName: 'WhatsApp API Test', otp: '493027' } })
    recordSensitive('493027')
    assert.ok(sent.ok, JSON.stringify(sent.body))
    assert.equal(sent.body.data.otp, undefined)
    assert.match(String((await receivedFor(String(sent.body.data.messageId))).text), /493027/)
    const verified = await call('POST', '/api/otp/verify', { json: { otpId: sent.body.data.otpId, code: '493027' } })
    assert.equal(verified.body.data.status, 'approved')

    // The original's verify names, as a form: phoneNumber and otp, with the session that sent it.
    const second = await call('POST', `/api/messages/${sessionId}/otp`, { form: new URLSearchParams({ phone: '08123456788', otp: '715204' }).toString() })
    recordSensitive('715204')
    assert.equal(second.status, 201, JSON.stringify(second.body))
    const byPhone = await call('POST', '/api/otp/verify', { form: new URLSearchParams({ phoneNumber: '08123456788', otp: '715204', sessionId }).toString() })
    assert.equal(byPhone.status, 200, JSON.stringify(byPhone.body))
    assert.deepEqual([byPhone.body.data.valid, byPhone.body.data.status, byPhone.body.data.otpId], [true, 'approved', second.body.data.otpId])
  })

  it('media: uploads in the field named after the type (with `phone` and `filename`), and `imageUrl`', async () => {
    const samples = await mediaSamples()
    for (const kind of ['image', 'video', 'audio', 'document'] as const) {
      const form = new FormData()
      form.append('phone', PHONE)
      if (kind === 'image' || kind === 'video') form.append('caption', `a ${kind}`)
      if (kind === 'document') form.append('filename', 'faktur.pdf')
      form.append(kind, new Blob([samples[kind].bytes], { type: samples[kind].mimetype }), samples[kind].name)
      const sent = await call('POST', `/api/messages/${sessionId}/${kind}`, { multipart: form })
      assert.equal(sent.status, 200, `${kind}: ${JSON.stringify(sent.body)}`)
      const received = (await receivedFor(String(sent.body.data.messageId))).received[0]!
      assert.ok(received[`${kind}Message`], kind)
      if (kind === 'document') assert.equal(received.documentMessage!.fileName, 'faktur.pdf')
    }
    const imageUrl = files.put('promo.png', samples.image.bytes, samples.image.mimetype)
    const byUrl = await call('POST', `/api/messages/${sessionId}/image`, { json: { to: PHONE, imageUrl, caption: 'by URL' } })
    assert.equal(byUrl.status, 200, JSON.stringify(byUrl.body))
    assert.equal((await receivedFor(String(byUrl.body.data.messageId))).received[0]!.imageMessage!.caption, 'by URL')
  })

  it('location: `locationName`, coordinates as numbers or numeric strings', async () => {
    const sent = await call('POST', `/api/messages/${sessionId}/location`, {
      json: { to: PHONE, latitude: '-6.200000', longitude: 106.816666, locationName: 'Jakarta, Indonesia' }
    })
    assert.equal(sent.status, 200, JSON.stringify(sent.body))
    const location = (await receivedFor(String(sent.body.data.messageId))).received[0]!.locationMessage!
    assert.deepEqual([location.degreesLatitude, location.degreesLongitude, location.name], [-6.2, 106.816666, 'Jakarta, Indonesia'])
  })

  it('buttons with only `text` (ids generated, at most 3), also as a form; list rows by `rowId` with a description', async () => {
    const buttons = await call('POST', `/api/messages/${sessionId}/button`, {
      json: { phone: PHONE, text: 'Pilih:', footer: 'Toko', buttons: [{ text: 'Ya' }, { text: 'Tidak' }] }
    })
    assert.equal(buttons.status, 200, JSON.stringify(buttons.body))
    await receivedFor(String(buttons.body.data.messageId))
    const form = await call('POST', `/api/messages/${sessionId}/button`, { form: 'to=08123456789&text=Pilih&buttons[0][text]=Ya&buttons[1][text]=Tidak' })
    assert.equal(form.status, 200, JSON.stringify(form.body))
    const four = await call('POST', `/api/messages/${sessionId}/button`, {
      json: { to: PHONE, text: 'Pilih:', buttons: [{ text: '1' }, { text: '2' }, { text: '3' }, { text: '4' }] }
    })
    assert.equal(four.status, 400)

    const list = await call('POST', `/api/messages/${sessionId}/list`, {
      json: {
        to: PHONE,
        text: 'Menu',
        buttonText: 'Lihat',
        sections: [{ title: 'Makanan', rows: [{ title: 'Nasi goreng', rowId: 'nasi', description: 'Pedas' }] }]
      }
    })
    assert.equal(list.status, 200, JSON.stringify(list.body))
    await receivedFor(String(list.body.data.messageId))
  })

  it('utilities: generate-otp (otp, length, timestamp, expiresIn) and format-phone (original, formatted, whatsappFormat)', async () => {
    const generated = await call('GET', `/api/messages/${sessionId}/generate-otp?length=6`)
    assert.match(String(generated.body.data.otp), /^\d{6}$/)
    assert.equal(generated.body.data.length, 6)
    assert.ok(generated.body.data.timestamp)
    assert.equal(typeof generated.body.data.expiresIn, 'number')
    const formatted = await call('GET', `/api/messages/format-phone/${PHONE}`)
    assert.deepEqual([formatted.body.data.original, formatted.body.data.formatted, formatted.body.data.whatsappFormat], [PHONE, '628123456789', JID])
  })

  // Last: it stops the host.
  it('health: ERROR with a 503 while the host database takes no writes, OK again after, ERROR while the host is down', async () => {
    const other = new Database(join(stack.dataDir, 'host.db'))
    try {
      // The host may be writing this very moment (its own housekeeping): wait for that write, then hold the lock.
      other.pragma('busy_timeout = 5000')
      other.exec('BEGIN EXCLUSIVE')
      const locked = await call('GET', '/api/health')
      assert.equal(locked.status, 503)
      assert.equal(locked.body.status, 'ERROR')
      assert.equal(locked.body.success, false)
      other.exec('ROLLBACK')
    } finally {
      other.close()
    }
    const again = await call('GET', '/api/health')
    assert.deepEqual([again.status, again.body.status], [200, 'OK'], JSON.stringify(again.body))

    await stack.killHost()
    const down = await call('GET', '/api/health')
    assert.deepEqual([down.status, down.body.status], [503, 'ERROR'])
  })
})
