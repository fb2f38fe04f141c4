import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'

const runSuite = (leak: boolean) => {
  const secret = randomBytes(12).toString('hex')
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'test/run-suite.ts', 'test/fixtures/leaky-log.fixture.ts'], {
    encoding: 'utf8',
    env: { ...process.env, LEAKY_SECRET: secret, LEAK: leak ? '1' : '0' }
  })
  return { status: result.status, output: result.stdout, secret }
}

describe('the suite-wide log audit', () => {
  it('fails the run when a recorded secret reaches a log, without printing it', () => {
    const run = runSuite(true)
    assert.notEqual(run.status, 0)
    assert.match(run.output, /log audit FAILED: a recorded secret or token of length 24 appears/)
    assert.equal(run.output.split('log audit')[1]?.includes(run.secret), false)
  })

  it('passes when the product logger redacts it', () => {
    const run = runSuite(false)
    assert.equal(run.status, 0, run.output)
    assert.match(run.output, /# log audit: clean/)
  })
})
