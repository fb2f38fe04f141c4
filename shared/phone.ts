import { parsePhoneNumberFromString } from 'libphonenumber-js/core'
import type { CountryCode, MetadataJson } from 'libphonenumber-js/core'
import { appError } from './errors.ts'

export type NormalizedPhone = { input: string; e164: string; jid: string; country: string | null; valid: boolean }

export type PhoneNumbers = {
  /**
   * Reads a number the way people type it (local `0812…` with the default country, national,
   * international, `+62 812-…`, or a full JID) and gives its E.164 form and WhatsApp JID.
   */
  normalizePhone(input: string, defaultCountry: string): NormalizedPhone
  /** The JID to send to, or a 422 naming the number that is not a valid phone number (and the request field it came in, when given). */
  requireJid(input: string, defaultCountry: string, field?: string): NormalizedPhone
}

const JID = /^(\d{5,20})(?::\d+)?@s\.whatsapp\.net$/

/**
 * Phone numbers read with libphonenumber's metadata, given by the caller: Node imports the full
 * ("max") metadata; the Workers gateway fetches the same file from its static assets, where it
 * does not weigh on the script bundle. The same metadata gives the same answers on both.
 */
export const phoneNumbers = (metadata: MetadataJson): PhoneNumbers => {
  const normalizePhone = (input: string, defaultCountry: string): NormalizedPhone => {
    const trimmed = input.trim()
    const jid = JID.exec(trimmed)
    const candidate = jid ? `+${jid[1]}` : /^\d{8,15}$/.test(trimmed) && !trimmed.startsWith('0') ? `+${trimmed}` : trimmed
    const parsed = parsePhoneNumberFromString(candidate, defaultCountry as CountryCode, metadata)
    if (!parsed) return { input, e164: '', jid: '', country: null, valid: false }
    const digits = parsed.number.slice(1)
    return { input, e164: parsed.number, jid: `${digits}@s.whatsapp.net`, country: parsed.country ?? null, valid: parsed.isValid() }
  }
  return {
    normalizePhone,
    requireJid(input, defaultCountry, field) {
      const phone = normalizePhone(input, defaultCountry)
      if (!phone.valid)
        throw appError('INVALID_PHONE_NUMBER', `${input.slice(0, 40)} is not a valid phone number`, { input: input.slice(0, 40), ...(field ? { field } : {}) })
      return phone
    }
  }
}
