import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { OtpTemplateError, renderOtpMessage, validateOtpTemplate } from './otp-templates.ts'

describe('renderOtpMessage with the built-in templates', () => {
  it('writes Indonesian by default, with the company, the code and the minutes', () => {
    const message = renderOtpMessage({ code: '048213', companyName: 'Toko Maju', ttlSeconds: 300 })
    assert.equal(message, 'Kode verifikasi Toko Maju Anda adalah 048213. Kode ini berlaku selama 5 menit. Jangan berikan kode ini kepada siapa pun.')
  })

  it('writes English on request', () => {
    const message = renderOtpMessage({ code: '048213', companyName: 'Acme', ttlSeconds: 600, locale: 'en' })
    assert.equal(message, 'Your Acme verification code is 048213. It expires in 10 minutes. Do not share this code with anyone.')
  })

  it('rounds the expiry up to whole minutes and says "1 minute" in English', () => {
    assert.match(renderOtpMessage({ code: '1234', companyName: 'Acme', ttlSeconds: 61 }), /selama 2 menit/)
    assert.match(renderOtpMessage({ code: '1234', companyName: 'Acme', ttlSeconds: 45, locale: 'en' }), /expires in 1 minute\./)
  })
})

describe('renderOtpMessage with a caller template', () => {
  it('fills {{code}}, {{company}} and {{minutes}}, every time they appear', () => {
    const message = renderOtpMessage({
      code: '7731',
      companyName: 'Acme',
      ttlSeconds: 120,
      template: '{{company}}: {{code}} ({{minutes}} min). {{code}} again.'
    })
    assert.equal(message, 'Acme: 7731 (2 min). 7731 again.')
  })

  it('ignores the locale when a template is given', () => {
    const message = renderOtpMessage({
      code: '7731',
      companyName: 'Acme',
      ttlSeconds: 60,
      locale: 'en',
      template: 'Kode {{code}}'
    })
    assert.equal(message, 'Kode 7731')
  })

  it('leaves unknown placeholders as they are', () => {
    const message = renderOtpMessage({
      code: '7731',
      companyName: 'Acme',
      ttlSeconds: 60,
      template: 'Hi {{name}}, {{ code }} is not {{code}}'
    })
    assert.equal(message, 'Hi {{name}}, {{ code }} is not 7731')
  })

  it('inserts values literally, with no replacement patterns and no second pass', () => {
    const message = renderOtpMessage({
      code: '7731',
      companyName: "$& $1 $$ $' $` {{code}}",
      ttlSeconds: 60,
      template: '[{{company}}] {{code}}'
    })
    assert.equal(message, "[$& $1 $$ $' $` {{code}}] 7731")
  })

  it('refuses a template without {{code}}', () => {
    assert.throws(
      () => renderOtpMessage({ code: '7731', companyName: 'Acme', ttlSeconds: 60, template: 'Your code is ready' }),
      (error: unknown) => error instanceof OtpTemplateError && /\{\{code\}\}/.test(error.message)
    )
  })
})

describe('validateOtpTemplate', () => {
  it('accepts a template with {{code}} up to 1024 characters', () => {
    assert.deepEqual(validateOtpTemplate('{{code}}'), { ok: true })
    assert.deepEqual(validateOtpTemplate(`{{code}}${'x'.repeat(1016)}`), { ok: true })
  })

  it('refuses a template without {{code}} or longer than 1024 characters', () => {
    for (const template of ['', 'no code here', '{{ code }}', '{{CODE}}', `{{code}}${'x'.repeat(1017)}`]) {
      const result = validateOtpTemplate(template)
      assert.equal(result.ok, false, template)
      if (!result.ok) assert.ok(result.reason.length > 0)
    }
  })
})
