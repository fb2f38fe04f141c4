import { parsePhoneNumberFromString } from 'libphonenumber-js/max'
import type { CountryCode } from 'libphonenumber-js/max'
import { appError } from './errors.ts'

export type NormalizedPhone = { input: string; e164: string; jid: string; country: string | null; valid: boolean }

const JID = /^(\d{5,20})(?::\d+)?@s\.whatsapp\.net$/

/**
 * Reads a number the way people type it (local `0812…` with the default country, national,
 * international, `+62 812-…`, or a full JID) and gives its E.164 form and WhatsApp JID.
 */
export const normalizePhone = (input: string, defaultCountry: string): NormalizedPhone => {
  const trimmed = input.trim()
  const jid = JID.exec(trimmed)
  const candidate = jid ? `+${jid[1]}` : /^\d{8,15}$/.test(trimmed) && !trimmed.startsWith('0') ? `+${trimmed}` : trimmed
  const parsed = parsePhoneNumberFromString(candidate, defaultCountry as CountryCode)
  if (!parsed) return { input, e164: '', jid: '', country: null, valid: false }
  const digits = parsed.number.slice(1)
  return { input, e164: parsed.number, jid: `${digits}@s.whatsapp.net`, country: parsed.country ?? null, valid: parsed.isValid() }
}

/** The JID to send to, or a 422 naming the number that is not a valid phone number. */
export const requireJid = (input: string, defaultCountry: string): NormalizedPhone => {
  const phone = normalizePhone(input, defaultCountry)
  if (!phone.valid) throw appError('INVALID_PHONE_NUMBER', `${input.slice(0, 40)} is not a valid phone number`, { input: input.slice(0, 40) })
  return phone
}
