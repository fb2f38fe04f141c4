import pino from 'pino'
import type { Logger } from 'pino'

/** Fields that may carry secrets or codes, wherever they sit in a log record. */
export const REDACTED_PATHS = [
  'otpCode', '*.otpCode', 'otp', '*.otp', 'text', '*.text', 'token', '*.token', 'secret', '*.secret',
  'authorization', '*.authorization', 'headers.authorization', 'req.headers.authorization',
  'creds', '*.creds', 'qr', '*.qr', 'pairingCode', '*.pairingCode', 'codeHash', '*.codeHash'
]

export const createLogger = (level: string, name: string): Logger =>
  pino({ name, level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } })
