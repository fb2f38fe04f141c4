import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { onceUntilFailed } from './once-until-failed.ts'

describe('onceUntilFailed', () => {
  it('runs once for calls made together and after, and again only after a failure', async () => {
    let runs = 0
    let fail = true
    const get = onceUntilFailed(async () => {
      runs++
      await new Promise(resolve => setTimeout(resolve, 5))
      if (fail) throw new Error(`run ${runs} failed`)
      return runs
    })
    const failed = await Promise.allSettled([get(), get()])
    assert.deepEqual(
      failed.map(result => (result.status === 'rejected' ? (result.reason as Error).message : 'ok')),
      ['run 1 failed', 'run 1 failed']
    )
    fail = false
    assert.deepEqual(await Promise.all([get(), get()]), [2, 2])
    fail = true
    assert.equal(await get(), 2)
    assert.equal(runs, 2)
  })
})
