import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { errorEnvelope, ok } from '../../shared/errors.ts'
import { hashOtpCode } from '../otp/otp-hash.ts'
import { answer } from '../../test/support/fake-host.ts'
import { gatewayOnFakeHost, OTP_PEPPER } from '../../test/support/gateway-on-fake-host.ts'
import { otpView } from '../../test/support/host-answers.ts'

const PN = '6281234567890'
const LOCAL = '081234567890'

type Otp = { otpId: string; status: string; messageId: string; expiresAt: string; to: string; sessionId: string }
type Verdict = { otpId: string; valid: boolean; status: string; attemptsLeft: number }
type HostSend = {
  otpId: string
  destination: string
  jid: string
  codeHash: string
  ttlSeconds: number
  text: string
  idempotency?: { key: string; hash: string }
}

/**
 * The gateway's half of OTPs, on a fake host: the code and message it renders (read from what it
 * hands the host), the hash it sends instead of the code, and how it asks the host to verify.
 * Stored state (attempts, lockout, expiry) is the host's: test/e2e/otp-flow.test.ts.
 */
const otpGateway = () => {
  const stack = gatewayOnFakeHost()
  const { host } = stack
  const stored = new Map<string, Otp>()
  host.on('POST /internal/sessions/:id/otp', ({ id = '' }, body) => {
    const view = otpView({ ...(body as HostSend), sessionId: id })
    stored.set(view.otpId, view)
    return answer(ok('OTP sent', view), { status: 201 })
  })
  host.on('GET /internal/otp/:otpId', ({ otpId = '' }) =>
    stored.has(otpId) ? ok('OTP', stored.get(otpId)) : errorEnvelope('OTP_NOT_FOUND', 'The OTP does not exist.')
  )
  // The host checks the OTP's session against the token's in the statement that cancels it.
  host.on('POST /internal/otp/:otpId/cancel', ({ otpId = '' }, body) => {
    const { allowedSessions } = body as { allowedSessions?: string[] }
    if (allowedSessions && !allowedSessions.includes(stored.get(otpId)?.sessionId ?? ''))
      return errorEnvelope('SESSION_FORBIDDEN', 'This token may not use the session of this OTP')
    return ok('OTP canceled', { ...stored.get(otpId), status: 'canceled' })
  })
  host.on('GET /internal/otp/latest', (_params, _body, call) =>
    ok(
      'Latest pending OTP',
      [...stored.values()].findLast(otp => otp.to === `+${call.query.destination}`)
    )
  )
  host.on('POST /internal/otp/:otpId/verify', ({ otpId = '' }, body) => {
    const { allowedSessions } = body as { allowedSessions?: string[] }
    if (allowedSessions && !allowedSessions.includes(stored.get(otpId)?.sessionId ?? ''))
      return errorEnvelope('SESSION_FORBIDDEN', 'This token may not use the session of this OTP')
    return ok('OTP checked', { otpId, valid: true, status: 'approved', attemptsLeft: 4 })
  })

  let destination = 0
  /** A fresh number per send, as on the real host where limits count per number. */
  const nextNumber = () => `0812345670${`${destination++}`.padStart(2, '0')}`
  /** Sends an OTP and gives the gateway's answer with what it handed the host. */
  const send = async (to: string, extra: Record<string, unknown> = {}) => {
    const response = await stack.call('POST', '/api/messages/shop-1/otp', { token: await stack.token('otp:send'), body: { to, ...extra } })
    assert.equal(response.status, 201, JSON.stringify(response.body))
    const handed = host.callsTo('POST', '/internal/sessions/shop-1/otp').at(-1)?.body as HostSend
    return { otp: response.body.data as Otp, handed, text: handed.text, code: /\b(\d{4,10})\b/.exec(handed.text)?.[1] ?? '' }
  }
  return { ...stack, send, nextNumber }
}

describe('sending an OTP through the gateway', () => {
  const { call, token, host, send, nextNumber } = otpGateway()

  it('sends the code in the Indonesian template by default, and never returns it', async () => {
    const { otp, text, code, handed } = await send(LOCAL)
    assert.equal(otp.status, 'pending')
    assert.equal(otp.to, `+${PN}`)
    assert.match(text, /^Kode verifikasi Toko Maju Anda adalah \d{6}\./)
    assert.match(text, /5 menit/)
    assert.ok(!JSON.stringify(otp).includes(code))
    // The host gets the number normalised, the default TTL and a keyed hash bound to this OTP, never the code alone.
    assert.deepEqual([handed.destination, handed.jid, handed.ttlSeconds], [PN, `${PN}@s.whatsapp.net`, 300])
    assert.equal(handed.codeHash, await hashOtpCode({ pepper: OTP_PEPPER, otpId: handed.otpId, code }))
  })

  it('uses the English template, the company name and a caller template with placeholders', async () => {
    const english = await send(nextNumber(), { locale: 'en', companyName: 'Acme', length: 8 })
    assert.match(english.text, /^Your Acme verification code is \d{8}\./)
    const custom = await send(nextNumber(), { template: '{{company}}: {{code}} (valid {{minutes}} min)', ttlSeconds: 120 })
    assert.match(custom.text, /^Toko Maju: \d{6} \(valid 2 min\)$/)
  })

  it("sends the caller's own code, and never returns it", async () => {
    const { otp, text, handed } = await send(nextNumber(), { code: '90817263', locale: 'en' })
    assert.match(text, /^Your Toko Maju verification code is 90817263\./)
    assert.ok(!JSON.stringify(otp).includes('90817263'))
    assert.equal(handed.codeHash, await hashOtpCode({ pepper: OTP_PEPPER, otpId: handed.otpId, code: '90817263' }))
  })

  it('takes lengths of 4–10 digits and TTLs of 30–3600 s, and refuses others or a template without {{code}} with 400, asking the host nothing', async () => {
    assert.match((await send(nextNumber(), { length: 4, ttlSeconds: 30 })).text, /adalah \d{4}\. Kode ini berlaku selama 1 menit/)
    const longest = await send(nextNumber(), { length: 10, ttlSeconds: 3600 })
    assert.match(longest.text, /adalah \d{10}\. Kode ini berlaku selama 60 menit/)
    assert.equal(longest.handed.ttlSeconds, 3600)
    const before = host.calls.length
    const cases: [Record<string, unknown>, string][] = [
      [{ length: 3 }, 'length'],
      [{ length: 11 }, 'length'],
      [{ ttlSeconds: 29 }, 'ttlSeconds'],
      [{ ttlSeconds: 3601 }, 'ttlSeconds'],
      [{ template: 'no code here' }, 'template'],
      [{ code: '12a4' }, 'code']
    ]
    for (const [extra, field] of cases) {
      const response = await call('POST', '/api/messages/shop-1/otp', { token: await token('otp:send'), body: { to: nextNumber(), ...extra } })
      assert.equal(response.status, 400, JSON.stringify(extra))
      assert.equal(response.body.error.code, 'VALIDATION_ERROR')
      assert.ok(JSON.stringify(response.body.error.details).includes(field), JSON.stringify(response.body.error.details))
    }
    assert.equal(host.calls.length, before)
  })

  it("passes the host's resend limit through: 429 with Retry-After", async () => {
    const limited = otpGateway()
    limited.host.on('POST /internal/sessions/:id/otp', () =>
      answer(errorEnvelope('RATE_LIMITED', 'Too many codes sent to this number; try again later.', { retryAfterSeconds: 42 }), {
        headers: { 'Retry-After': '42' }
      })
    )
    const again = await limited.call('POST', '/api/messages/shop-1/otp', { token: await token('otp:send'), body: { to: nextNumber() } })
    assert.equal(again.status, 429)
    assert.equal(again.body.error.code, 'RATE_LIMITED')
    assert.ok(Number(again.headers.get('retry-after')) > 0)
    assert.equal(again.headers.get('retry-after'), '42')
  })

  it('hands the host an Idempotency-Key with a digest of the request, the same for a retry and another for another body; a malformed key is a 400', async () => {
    const to = nextNumber()
    const sender = await token('otp:send')
    const sendWith = async (body: object, key: string) => {
      await call('POST', '/api/messages/shop-1/otp', { token: sender, body, headers: { 'idempotency-key': key } })
      return { idempotency: (host.callsTo('POST', '/internal/sessions/shop-1/otp').at(-1)?.body as HostSend | undefined)?.idempotency }
    }
    const first = await sendWith({ to, code: '555123' }, 'order-42')
    const retry = await sendWith({ to, code: '555123' }, 'order-42')
    const other = await sendWith({ to, code: '555124' }, 'order-42')
    assert.equal(first.idempotency?.key, 'order-42')
    assert.equal(retry.idempotency?.hash, first.idempotency?.hash)
    assert.notEqual(other.idempotency?.hash, first.idempotency?.hash)
    // The digest is keyed: a plain hash of a six-digit code would give the code away.
    assert.ok(!JSON.stringify(first.idempotency).includes('555123'))
    const malformed = await call('POST', '/api/messages/shop-1/otp', { token: sender, body: { to }, headers: { 'idempotency-key': 'with space' } })
    assert.equal(malformed.status, 400)
    assert.equal(malformed.body.error.code, 'VALIDATION_ERROR')
  })
})

describe('verifying, showing and canceling an OTP through the gateway', () => {
  const { call, token, host, send, nextNumber } = otpGateway()
  const verifyAs = async (verifier: string, body: Record<string, unknown>) => call('POST', '/api/otp/verify', { token: verifier, body })

  it('asks the host to check the keyed hash of the code bound to the OTP id, and says what the verdict means', async () => {
    const { otp, code } = await send(nextNumber())
    const verdict = await verifyAs(await token('otp:verify'), { otpId: otp.otpId, code })
    assert.equal(verdict.status, 200)
    assert.deepEqual(verdict.body.data, { otpId: otp.otpId, valid: true, status: 'approved', attemptsLeft: 4 })
    assert.equal(verdict.body.message, 'Code approved')
    assert.deepEqual(host.callsTo('POST', `/internal/otp/${otp.otpId}/verify`).at(-1)?.body, {
      codeHash: await hashOtpCode({ pepper: OTP_PEPPER, otpId: otp.otpId, code })
    })
    const locked = otpGateway()
    locked.host.on('POST /internal/otp/:otpId/verify', ({ otpId = '' }) =>
      ok('OTP checked', { otpId, valid: false, status: 'max_attempts_reached', attemptsLeft: 0 })
    )
    const refused = await locked.call('POST', '/api/otp/verify', { token: await token('otp:verify'), body: { otpId: otp.otpId, code } })
    assert.equal(refused.body.message, 'Too many wrong codes: this OTP is locked')
  })

  it('verifies the latest code by session and number, asking the host with the normalised number', async () => {
    const number = nextNumber()
    const { otp, code } = await send(number)
    const verdict = await verifyAs(await token('otp:verify'), { sessionId: 'shop-1', to: number, code })
    assert.equal((verdict.body.data as Verdict).valid, true, JSON.stringify(verdict.body))
    assert.deepEqual(host.callsTo('GET', '/internal/otp/latest').at(-1)?.query, { sessionId: 'shop-1', destination: `62${number.slice(1)}` })
    assert.equal(host.callsTo('POST', `/internal/otp/${otp.otpId}/verify`).length, 1)
  })

  it('refuses a verify body of neither form with 400, naming the fields it lacks or got wrong, asking the host nothing', async () => {
    const verifier = await token('otp:verify')
    const before = host.calls.length
    const cases: [Record<string, unknown>, string[]][] = [
      [{ otpId: 'otp_0123456789', code: 931534 }, ['code']],
      [{ otpId: 'otp_0123456789' }, ['code']],
      [{ sessionId: 'shop-1', to: LOCAL }, ['code']],
      [{ to: LOCAL, code: '123456' }, ['otpId', 'sessionId']]
    ]
    for (const [body, fields] of cases) {
      const refused = await verifyAs(verifier, body)
      assert.equal(refused.status, 400, JSON.stringify(body))
      assert.equal(refused.body.error.code, 'VALIDATION_ERROR')
      const named = (refused.body.error.details as { fields: { path: string }[] }).fields.map(field => field.path)
      assert.deepEqual(named, fields, JSON.stringify(body))
    }
    assert.equal(host.calls.length, before)
  })

  it('refuses to verify without the otp:verify scope, or for a session outside the token', async () => {
    const { otp, code } = await send(nextNumber())
    const before = host.calls.length
    assert.equal((await verifyAs(await token('otp:send'), { otpId: otp.otpId, code })).status, 403)
    assert.equal(host.calls.length, before)
    const other = await token('otp:verify', { sessions: ['shop-2'] })
    const forbidden = await verifyAs(other, { otpId: otp.otpId, code })
    assert.equal(forbidden.status, 403)
    assert.equal(forbidden.body.error.code, 'SESSION_FORBIDDEN')
    // The host checks the OTP's session against the token's sessions in the same update.
    assert.deepEqual((host.callsTo('POST', `/internal/otp/${otp.otpId}/verify`).at(-1)?.body as { allowedSessions: string[] } | undefined)?.allowedSessions, [
      'shop-2'
    ])
    const asked = host.calls.length
    const byNumber = await verifyAs(other, { sessionId: 'shop-1', to: LOCAL, code })
    assert.equal(byNumber.body.error.code, 'SESSION_FORBIDDEN')
    assert.equal(host.calls.length, asked)
  })

  it('shows and cancels an OTP without its code, only for a token of its session', async () => {
    const { otp, code } = await send(nextNumber())
    const shown = await call('GET', `/api/otp/${otp.otpId}`, { token: await token('otp:verify') })
    assert.equal((shown.body.data as Otp).status, 'pending')
    assert.ok(!JSON.stringify(shown.body).includes(code))
    const outsider = await token('otp:send otp:verify', { sessions: ['shop-2'] })
    assert.equal((await call('GET', `/api/otp/${otp.otpId}`, { token: outsider })).body.error.code, 'SESSION_FORBIDDEN')
    assert.equal((await call('POST', `/api/otp/${otp.otpId}/cancel`, { token: outsider })).body.error.code, 'SESSION_FORBIDDEN')
    assert.deepEqual(
      host.callsTo('POST', `/internal/otp/${otp.otpId}/cancel`).at(-1)?.body,
      { allowedSessions: ['shop-2'] },
      "the token's sessions go with the cancel"
    )
    const canceled = await call('POST', `/api/otp/${otp.otpId}/cancel`, { token: await token('otp:send') })
    assert.equal((canceled.body.data as Otp).status, 'canceled')
  })

  it('keeps the seed utilities: generate-otp and format-phone', async () => {
    const sender = await token('otp:send')
    const before = host.calls.length
    const generated = await call('GET', '/api/messages/shop-1/generate-otp?length=8', { token: sender })
    assert.match((generated.body.data as { code: string }).code, /^\d{8}$/)
    const formatted = await call('GET', '/api/messages/format-phone/0812-3456-7890', { token: sender })
    assert.deepEqual(formatted.body.data, {
      input: '0812-3456-7890',
      e164: `+${PN}`,
      jid: `${PN}@s.whatsapp.net`,
      country: 'ID',
      valid: true,
      original: '0812-3456-7890',
      formatted: PN,
      whatsappFormat: `${PN}@s.whatsapp.net`
    })
    const malformed = await call('GET', '/api/messages/format-phone/hello', { token: sender })
    assert.equal((malformed.body.data as { valid: boolean }).valid, false)
    assert.equal(host.calls.length, before)
  })
})
