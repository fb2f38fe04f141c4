import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import pino from 'pino'
import { Writable } from 'node:stream'
import { createUpkeep } from './upkeep.ts'

describe("the host's upkeep", () => {
  it('runs its jobs in order with the time, and one failing job never stops the next', () => {
    const lines: string[] = []
    const logger = pino(
      { level: 'error' },
      new Writable({
        write: (chunk, _encoding, done) => {
          lines.push(String(chunk))
          done()
        }
      })
    )
    const ran: string[] = []
    const upkeep = createUpkeep({
      clock: () => 42,
      logger,
      jobs: [
        { name: 'first', run: now => void ran.push(`first@${now}`) },
        {
          name: 'broken',
          run: () => {
            throw new Error('disk full')
          }
        },
        { name: 'last', run: now => void ran.push(`last@${now}`) }
      ]
    })
    upkeep.run()
    assert.deepEqual(ran, ['first@42', 'last@42'])
    assert.equal(lines.length, 1)
    assert.equal(JSON.parse(lines[0]!).job, 'broken')
  })

  it('runs once at start, then on its timer until stopped', async () => {
    let runs = 0
    const upkeep = createUpkeep({ clock: Date.now, logger: pino({ level: 'silent' }), everyMs: 10, jobs: [{ name: 'count', run: () => void runs++ }] })
    upkeep.start()
    assert.equal(runs, 1)
    await new Promise(resolve => setTimeout(resolve, 60))
    upkeep.stop()
    const stoppedAt = runs
    assert.ok(stoppedAt >= 2, `ran ${stoppedAt} times`)
    await new Promise(resolve => setTimeout(resolve, 40))
    assert.equal(runs, stoppedAt)
  })
})
