import type { Logger } from 'pino'

/** What libsignal prints with console.*, often followed by a whole session record. */
const LIBSIGNAL_MESSAGES = [
  'Closing session',
  'Closing open session',
  'Session already closed',
  'Decrypted message with closed session',
  'Failed to decrypt message',
  'Session error',
  'Migrating session',
  'V1 session storage migration error',
  'Unhandled bucket type',
  'WARNING: Expected pubkey'
]

/**
 * libsignal logs session records, private keys included, straight to the console. The host keeps
 * the message text as a debug log event and drops the objects, so no key reaches any log.
 */
export const containLibsignalConsole = (logger: Logger): void => {
  for (const method of ['log', 'info', 'warn', 'error'] as const) {
    const original = console[method].bind(console)
    console[method] = (...args: unknown[]) => {
      const first = args[0]
      if (typeof first === 'string' && LIBSIGNAL_MESSAGES.some(prefix => first.startsWith(prefix))) {
        logger.debug({ libsignal: first.slice(0, 120) }, 'libsignal')
        return
      }
      original(...args)
    }
  }
}
