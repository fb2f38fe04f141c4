import { appendFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import pino from 'pino'
import type { Logger } from 'pino'
import { LOG_REDACTION } from '../../shared/logger.ts'

/**
 * The suite-wide log audit (run by test/run-suite.ts): tests record the secrets, tokens and OTP
 * codes they handle, every log line goes to the audit folder, and after the last test the runner
 * checks that no recorded value appears in any log. Outside the runner these are no-ops.
 */
const dir = process.env.LOG_AUDIT_DIR
/** Named after the test file whose process writes it, so a failed audit says where to look. */
const logFile = dir ? join(dir, `logs-${basename(process.argv[1] ?? 'process')}-${process.pid}.log`) : ''

export const recordSensitive = (...values: (string | undefined)[]): void => {
  const kept = values.filter((v): v is string => typeof v === 'string' && v.length >= 4)
  if (dir && kept.length) appendFileSync(join(dir, `sensitive-${process.pid}.txt`), `${kept.join('\n')}\n`)
}

export const captureLog = (text: string): void => {
  if (dir) appendFileSync(logFile, text)
}

/** The product's redacting logger at debug level, writing into the audit instead of the console. */
export const auditedLogger = (name: string): Logger =>
  dir ? pino({ name, level: 'debug', redact: LOG_REDACTION }, pino.destination({ dest: logFile, append: true, sync: true })) : pino({ level: 'silent' })

/**
 * OTP codes inside a message text. Only runs of 6–10 digits: shorter ones collide by chance with
 * process ids and port numbers that every log line carries, which would make the audit flaky.
 */
export const codesIn = (text: string | null | undefined): string[] => [...(text ?? '').matchAll(/(?<!\d)\d{6,10}(?!\d)/g)].map(m => m[0])

type DecryptedText = { message: { extendedTextMessage?: { text?: string | null } | null; conversation?: string | null } }

/** Records every code in the copies the emulator's recipients decrypted of these messages. */
export const recordCodesSent = (messages: readonly { decrypted: readonly DecryptedText[] }[]): void => {
  for (const sent of messages)
    for (const copy of sent.decrypted) recordSensitive(...codesIn(copy.message.extendedTextMessage?.text ?? copy.message.conversation))
}
