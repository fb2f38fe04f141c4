import { spawn } from 'node:child_process'
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { stopChild, stopChildren } from './child-exit.ts'

const node = (script: string) => spawn(process.execPath, ['-e', script], { stdio: 'ignore' })
/** A child that has set its SIGTERM handler up (spawned ones take a moment to get there). */
const ready = async (script: string) => {
  const child = spawn(process.execPath, ['-e', `${script}; console.log('ready')`], { stdio: ['ignore', 'pipe', 'ignore'] })
  await new Promise<void>(resolve => child.stdout.once('data', () => resolve()))
  return child
}

describe('stopping a test service', () => {
  it('waits for a child that exits on SIGTERM', async () => {
    const child = node('setInterval(() => {}, 1000)')
    await stopChild('sleeper', child, 10_000)
    assert.equal(child.signalCode, 'SIGTERM')
  })

  it('kills a child that ignores SIGTERM and fails naming it, once the others have stopped too', async () => {
    const stuck = await ready("process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)")
    const fine = node('setInterval(() => {}, 1000)')
    await assert.rejects(
      stopChildren(
        [
          ['host-1', stuck],
          ['gateway', fine]
        ],
        500
      ),
      /host-1 \(pid \d+\) did not exit within 500 ms of SIGTERM: killed/
    )
    assert.equal(stuck.signalCode, 'SIGKILL')
    assert.equal(fine.signalCode, 'SIGTERM')
  })
})
