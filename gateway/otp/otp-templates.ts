export const otpLocales = ['id', 'en'] as const
export type OtpLocale = (typeof otpLocales)[number]
export const defaultOtpLocale: OtpLocale = 'id'

export const maxOtpTemplateLength = 1024

// English needs a singular for "1 minute"; Indonesian does not inflect.
const builtInTemplates: Record<OtpLocale, { minutes: string; oneMinute?: string }> = {
  id: {
    minutes: 'Kode verifikasi {{company}} Anda adalah {{code}}. Kode ini berlaku selama {{minutes}} menit. Jangan berikan kode ini kepada siapa pun.'
  },
  en: {
    minutes: 'Your {{company}} verification code is {{code}}. It expires in {{minutes}} minutes. Do not share this code with anyone.',
    oneMinute: 'Your {{company}} verification code is {{code}}. It expires in 1 minute. Do not share this code with anyone.'
  }
}

const placeholderPattern = /\{\{(code|company|minutes)\}\}/g

export class OtpTemplateError extends Error {
  override name = 'OtpTemplateError'
}

export function validateOtpTemplate(template: string): { ok: true } | { ok: false; reason: string } {
  if (template.length > maxOtpTemplateLength) {
    return { ok: false, reason: `The template must be at most ${maxOtpTemplateLength} characters long` }
  }
  if (!template.includes('{{code}}')) {
    return { ok: false, reason: 'The template must contain the {{code}} placeholder' }
  }
  return { ok: true }
}

export function renderOtpMessage({
  code,
  companyName,
  ttlSeconds,
  locale = defaultOtpLocale,
  template
}: {
  code: string
  companyName: string
  ttlSeconds: number
  locale?: OtpLocale
  template?: string
}): string {
  const minutes = Math.ceil(ttlSeconds / 60)
  const chosen = template ?? pickBuiltInTemplate(locale, minutes)
  const validation = validateOtpTemplate(chosen)
  if (!validation.ok) throw new OtpTemplateError(validation.reason)

  const values = { code, company: companyName, minutes: String(minutes) }
  // One pass with a function replacer: values go in literally (no `$&` expansion) and are never
  // scanned again, so a company name such as "{{code}}" cannot pull in the code twice.
  return chosen.replace(placeholderPattern, (_match, name: keyof typeof values) => values[name])
}

function pickBuiltInTemplate(locale: OtpLocale, minutes: number): string {
  const { minutes: plural, oneMinute } = builtInTemplates[locale]
  return minutes === 1 && oneMinute !== undefined ? oneMinute : plural
}
