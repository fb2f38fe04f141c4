import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { addLeasedSession } from '../../test/support/leased-session.ts'
import { openSqlite } from '../db/sqlite-database.ts'
import { WaSim } from '../sim/index.ts'
import { baileysLogger } from './baileys-logger.ts'
import { WaSession } from './wa-session.ts'

/** A pino logger whose records land in an array. */
const capture = (level = 'debug') => {
  const records: { level: number; msg?: string; module?: string }[] = []
  const logger = pino({ level }, { write: (line: string) => void records.push(JSON.parse(line)) })
  return { logger, records }
}

describe("Baileys' log, as the session host writes it", () => {
  it('moves the expected events down to debug and keeps real warnings and errors', () => {
    const { logger, records } = capture()
    const log = baileysLogger(logger).child({ class: 'socket' })
    log.warn(
      '⚠️ DANGER: DISABLING ALL SYNC BY shouldSyncHistoryMsg PREVENTS BAILEYS FROM ACCESSING INITIAL LID MAPPINGS, LEADING TO INSTABILIY AND SESSION ERRORS'
    )
    log.error({ fullErrorNode: { tag: 'stream:error', attrs: { code: '515' } } }, 'stream errored out')
    log.warn({}, 'no name present, ignoring presence update request...')
    log.error({ fullErrorNode: { tag: 'stream:error', attrs: { code: '401' } } }, 'stream errored out')
    log.warn({ e: 'boom' }, 'failed to run digest after login')
    assert.deepEqual(
      records.map(r => [r.level, r.msg?.slice(0, 20)]),
      [
        [20, '⚠️ DANGER: DISABLING'],
        [20, 'stream errored out'],
        [20, 'no name present, ign'],
        [50, 'stream errored out'],
        [40, 'failed to run digest']
      ]
    )
  })

  it('writes no warning or error while a session links, restarts with 515 and opens', async () => {
    const sim = new WaSim()
    const url = await sim.start()
    const dir = mkdtempSync(join(tmpdir(), 'baileys-log-'))
    const database = openSqlite(join(dir, 'host.db'))
    const { logger, records } = capture('info')
    const fence = await addLeasedSession(database.db, 'quiet')
    const session = new WaSession({
      id: 'quiet',
      db: database.db,
      fence,
      logger,
      socket: { waWebSocketUrl: url, connectTimeoutMs: 10_000, defaultQueryTimeoutMs: 10_000 }
    })
    try {
      session.start()
      await sim.linkWithQr(() => session.qr, { accountPn: '15550071001' })
      for (let i = 0; i < 300 && session.status !== 'connected'; i++) await new Promise(resolve => setTimeout(resolve, 20))
      assert.equal(session.status, 'connected')
      assert.deepEqual(
        records.filter(r => r.module === 'baileys' && r.level >= 40).map(r => r.msg),
        []
      )
    } finally {
      await session.stop()
      await sim.stop()
      await database.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
