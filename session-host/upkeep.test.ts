import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import pino from 'pino'
import { Writable } from 'node:stream'
import { createUpkeep } from './upkeep.ts'

describe("the host's upkeep", () => {
  it('runs its jobs in order with the time, and one failing job never stops the next', async () => {
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
        { name: 'first', run: async now => void ran.push(`first@${now}`) },
        {
          name: 'broken',
          run: async () => {
            throw new Error('disk full')
          }
        },
        { name: 'last', run: async now => void ran.push(`last@${now}`) }
      ]
    })
    await upkeep.run()
    assert.deepEqual(ran, ['first@42', 'last@42'])
    assert.equal(lines.length, 1)
    assert.equal(JSON.parse(lines[0]!).job, 'broken')
  })

  it('runs once at start, then on its timer until stopped', async () => {
    let runs = 0
    const upkeep = createUpkeep({ clock: Date.now, logger: pino({ level: 'silent' }), everyMs: 10, jobs: [{ name: 'count', run: async () => void runs++ }] })
    upkeep.start()
    await new Promise(resolve => setImmediate(resolve))
    assert.equal(runs, 1)
    await new Promise(resolve => setTimeout(resolve, 60))
    upkeep.stop()
    const stoppedAt = runs
    assert.ok(stoppedAt >= 2, `ran ${stoppedAt} times`)
    await new Promise(resolve => setTimeout(resolve, 40))
    assert.equal(runs, stoppedAt)
  })

  it('never runs two passes at once, and skips the ticks that come during a slow one', async () => {
    let running = 0
    let most = 0
    let passes = 0
    const slow = async () => {
      running++
      most = Math.max(most, running)
      await new Promise(resolve => setTimeout(resolve, 30))
      running--
      passes++
    }
    const upkeep = createUpkeep({ clock: Date.now, logger: pino({ level: 'silent' }), everyMs: 5, jobs: [{ name: 'slow', run: slow }] })
    upkeep.start()
    await new Promise(resolve => setTimeout(resolve, 100))
    upkeep.stop()
    const stoppedAt = passes
    await new Promise(resolve => setTimeout(resolve, 80))
    assert.equal(most, 1)
    assert.ok(stoppedAt >= 2, `ran ${stoppedAt} passes`)
    // At most the pass under way at stop() finishes; no tick queued behind it.
    assert.ok(passes <= stoppedAt + 1, `ran ${passes - stoppedAt} passes after stop`)
  })
})
