import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { afterExit, createLineTail, DEFAULT_RESTART_POLICY, supervise } from './supervisor.ts'
import type { GiveUp, RestartHistory, RestartPolicy } from './supervisor.ts'

describe('restart policy', () => {
  const policy = DEFAULT_RESTART_POLICY
  const delaysAfter = (uptimesMs: number[]) => {
    let history: RestartHistory = { restarts: 0, quickFailures: 0 }
    return uptimesMs.map(uptimeMs => {
      const next = afterExit(history, uptimeMs, policy)
      history = next.history
      return next.decision.kind === 'restart' ? next.decision.delayMs : 'give-up'
    })
  }

  it('doubles the delay from 0.5 s up to 10 s while the child keeps exiting', () => {
    assert.deepEqual(delaysAfter([20_000, 20_000, 20_000, 20_000, 20_000, 20_000, 20_000]), [500, 1000, 2000, 4000, 8000, 10_000, 10_000])
  })

  it('starts from 0.5 s again once the child stayed up a minute', () => {
    assert.deepEqual(delaysAfter([20_000, 20_000, 20_000, 60_000, 20_000]), [500, 1000, 2000, 500, 1000])
  })

  it('gives up on the third exit in a row within 10 s of starting', () => {
    assert.deepEqual(delaysAfter([1000, 9000, 200]), [500, 1000, 'give-up'])
  })

  it('does not count quick failures separated by a longer run', () => {
    assert.deepEqual(delaysAfter([1000, 1000, 15_000, 1000, 1000]), [500, 1000, 2000, 4000, 8000])
  })
})

describe('line tail', () => {
  it('keeps the last lines of chunks cut anywhere', () => {
    const tail = createLineTail(3)
    for (const chunk of ['one\ntw', 'o\nthree\nfo', 'ur\nfi', 've']) tail.push(chunk)
    assert.deepEqual(tail.lines(), ['three', 'four', 'five'])
  })
})

describe('supervising a child process', () => {
  const fast: RestartPolicy = { firstDelayMs: 10, maxDelayMs: 40, quickFailureMs: 10_000, maxQuickFailures: 3, stableMs: 60_000 }
  const node = (script: string) => () => spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'ignore', 'pipe'] })

  it('restarts a failing child, then gives up with its last error output', async () => {
    const output: string[] = []
    let spawned = 0
    const failure = await new Promise<GiveUp>(resolve => {
      supervise({
        name: 'worker',
        spawnChild: () => {
          spawned++
          return node("console.error('port 3001 in use'); process.exit(3)")()
        },
        onGiveUp: resolve,
        policy: fast,
        output: { write: text => output.push(text) }
      })
    })
    assert.equal(spawned, 3)
    assert.deepEqual([failure.name, failure.code, failure.signal, failure.quickFailures], ['worker', 3, null, 3])
    assert.deepEqual(failure.lastErrorLines, ['port 3001 in use'])
    const log = output.join('')
    assert.match(log, /worker exited \(code 3\) after [\d.]+ s; restarting in [\d.]+ s\n/)
    assert.match(log, /worker exited \(code 3\) 3 times in a row within 10 s of starting; giving up\. Its last error output:\n {2}\| port 3001 in use\n$/)
  })

  it('stops a running child and does not restart it', async () => {
    let spawned = 0
    const child = supervise({
      name: 'worker',
      spawnChild: () => {
        spawned++
        return node('setInterval(() => {}, 1000)')()
      },
      onGiveUp: () => assert.fail('gave up'),
      policy: fast,
      output: { write: () => true }
    })
    assert.equal(await child.stop(5_000), true)
    await new Promise(resolve => setTimeout(resolve, 100))
    assert.equal(spawned, 1)
  })

  it('kills a child that ignores SIGTERM once the grace period is over', async () => {
    const output: string[] = []
    const child = supervise({
      name: 'stubborn',
      spawnChild: node("process.on('SIGTERM', () => {}); console.error('ready'); setInterval(() => {}, 1000)"),
      onGiveUp: () => assert.fail('gave up'),
      policy: fast,
      output: { write: text => output.push(text) }
    })
    // Its SIGTERM handler is only in place once it has printed.
    const deadline = Date.now() + 5_000
    while (!output.join('').includes('ready') && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 10))
    assert.equal(await child.stop(200), false)
    assert.match(output.join(''), /stubborn did not stop within 0\.2 s; killing it/)
  })
})
