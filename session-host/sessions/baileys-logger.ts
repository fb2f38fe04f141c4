import type { UserFacingSocketConfig } from '@whiskeysockets/baileys'
import type { Logger } from 'pino'

type ILogger = NonNullable<UserFacingSocketConfig['logger']>

type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error'

/**
 * What Baileys reports as a warning or an error although, for this gateway, it is the expected
 * path: the history sync it is told to skip, the stream error that is the normal 515 restart
 * after linking, and a presence update before the account has a name. These go to debug.
 */
const isExpected = (level: Level, fields: unknown, message: string | undefined): boolean => {
  const text = message ?? (typeof fields === 'string' ? fields : '')
  if (level === 'warn' && /DISABLING ALL SYNC BY shouldSyncHistoryMsg/.test(text)) return true
  if (level === 'warn' && /no name present, ignoring presence update/.test(text)) return true
  const node = (fields as { fullErrorNode?: { attrs?: { code?: string } } } | undefined)?.fullErrorNode
  return level === 'error' && text === 'stream errored out' && node?.attrs?.code === '515'
}

/**
 * The logger a session hands Baileys: its own pino child, with Baileys' expected events moved
 * down to debug so that a warning or an error in the log means something went wrong.
 */
export const baileysLogger = (log: Logger): ILogger => {
  const wrap = (target: Logger): ILogger => {
    const write = (level: Level) => (fields: unknown, message?: string) => {
      const at = isExpected(level, fields, message) ? 'debug' : level
      if (typeof fields === 'string') target[at](fields)
      else target[at](fields as object, message)
    }
    return {
      get level() {
        return target.level
      },
      set level(level: string) {
        target.level = level
      },
      child: bindings => wrap(target.child(bindings)),
      trace: write('trace'),
      debug: write('debug'),
      info: write('info'),
      warn: write('warn'),
      error: write('error')
    }
  }
  return wrap(log)
}
