export const minOtpCodeLength = 4
export const maxOtpCodeLength = 10

// 250 is the largest multiple of 10 that fits in a byte: bytes 250–255 would make the digits 0–5
// more likely than 6–9, so they are thrown away instead of folded in with `% 10`.
const unbiasedByteLimit = 250

export function generateOtpCode(length: number): string {
  if (!Number.isInteger(length) || length < minOtpCodeLength || length > maxOtpCodeLength) {
    throw new RangeError(`OTP code length must be an integer from ${minOtpCodeLength} to ${maxOtpCodeLength}, got ${length}`)
  }
  let code = ''
  // A little slack so that one draw almost always suffices (each byte is rejected with p = 6/256).
  const bytes = new Uint8Array(length + 4)
  while (code.length < length) {
    crypto.getRandomValues(bytes)
    for (const byte of bytes) {
      if (byte >= unbiasedByteLimit) continue
      code += String(byte % 10)
      if (code.length === length) break
    }
  }
  return code
}
