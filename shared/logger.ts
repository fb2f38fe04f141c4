import { z } from './zod.ts'

// Types only: pino and pino-pretty are Node libraries, which each Node entry passes to buildLogger.
type Pino = typeof import('pino')
type PinoPretty = typeof import('pino-pretty')
type DestinationStream = import('pino').DestinationStream
type Logger = import('pino').Logger

/** Fields that may carry secrets or codes, wherever they sit in a log record. */
export const REDACTED_PATHS = [
  'otpCode',
  '*.otpCode',
  'otp',
  '*.otp',
  'text',
  '*.text',
  'token',
  '*.token',
  'secret',
  '*.secret',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'creds',
  '*.creds',
  'qr',
  '*.qr',
  'pairingCode',
  '*.pairingCode',
  'codeHash',
  '*.codeHash'
]

/** pino's `redact` setting of every logger the product writes with (the test suite's audited one too). */
export const LOG_REDACTION = { paths: REDACTED_PATHS, censor: '[redacted]' }

/** The logging settings of both Node processes (the host's config and gateway/node.ts read them). */
export const LOG_SETTINGS = {
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** `pretty` (one readable line per event) or `json` (one object per line, for a log pipeline). */
  LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
  NODE_ENV: z.string().optional()
}

export type LogFormat = 'json' | 'pretty'

/** The logging settings alone (for the gateway's Node entry), or an error naming the bad variable. */
export const parseLogSettings = (env: Record<string, string | undefined>) => {
  const result = z.object(LOG_SETTINGS).safeParse(env)
  if (result.success) return result.data
  throw new Error(`Invalid log settings: ${result.error.issues.map(issue => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`)
}

/** JSON in production, readable lines otherwise, unless LOG_FORMAT says. */
export const logFormat = (settings: { LOG_FORMAT?: LogFormat | undefined; NODE_ENV?: string | undefined }): LogFormat =>
  settings.LOG_FORMAT ?? (settings.NODE_ENV === 'production' ? 'json' : 'pretty')

export type LoggerOptions = {
  name: string
  level: string
  format: LogFormat
  destination?: DestinationStream
  /** Colours in the pretty format, for a terminal (`process.stdout.isTTY`); never with a destination. */
  colorize?: boolean
}

/**
 * A pino logger that redacts before anything is written, in either format. Pretty lines are
 * written synchronously in this process (no transport thread), so nothing is lost at exit.
 */
export const buildLogger = (
  { pino, pretty }: { pino: Pino; pretty: PinoPretty },
  { name, level, format, destination, colorize = false }: LoggerOptions
): Logger => {
  const options = { name, level, redact: LOG_REDACTION }
  if (format === 'json') return destination ? pino(options, destination) : pino(options)
  const prettyOptions = { sync: true, colorize: colorize && !destination, singleLine: true, ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss.l' }
  return pino(options, pretty(destination ? { ...prettyOptions, destination } : prettyOptions))
}
