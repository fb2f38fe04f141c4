import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { normalizePhone, requireJid } from './phone-max.ts'

describe('phone numbers', () => {
  it('reads Indonesian local, national and international forms as one E.164 number', () => {
    for (const input of ['081234567890', '+62 812-3456-7890', '6281234567890', '6281234567890@s.whatsapp.net', '0812 3456 7890']) {
      const phone = normalizePhone(input, 'ID')
      assert.equal(phone.e164, '+6281234567890', input)
      assert.equal(phone.jid, '6281234567890@s.whatsapp.net', input)
      assert.equal(phone.country, 'ID', input)
      assert.equal(phone.valid, true, input)
    }
  })

  it('reads other countries given in international form', () => {
    const uk = normalizePhone('+44 20 7946 0958', 'ID')
    assert.equal(uk.e164, '+442079460958')
    assert.equal(uk.country, 'GB')
    assert.equal(normalizePhone('14155552671', 'ID').country, 'US')
  })

  it('marks malformed input invalid and refuses it with a code', () => {
    for (const input of ['12', 'hello', '+62 123', '']) assert.equal(normalizePhone(input, 'ID').valid, false, input)
    assert.throws(() => requireJid('hello', 'ID'), { code: 'INVALID_PHONE_NUMBER', status: 422 })
  })
})
