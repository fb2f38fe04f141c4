import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { randomBytes, randomInt } from 'node:crypto'
import { describe, it } from 'node:test'

const runSuite = (leak: boolean) => {
  const secret = randomBytes(12).toString('hex')
  const code = String(randomInt(100_000, 1_000_000))
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'test/run-suite.ts', 'test/fixtures/leaky-log.fixture.ts'], {
    encoding: 'utf8',
    env: { ...process.env, LEAKY_SECRET: secret, LEAKY_CODE: code, LEAK: leak ? '1' : '0' }
  })
  return { status: result.status, output: result.stdout, secret, code }
}

describe('the suite-wide log audit', () => {
  it('fails the run when a recorded secret reaches a log, without printing it', () => {
    const run = runSuite(true)
    assert.notEqual(run.status, 0)
    assert.match(run.output, /log audit FAILED: a recorded secret or token of length 24 appears/)
    assert.match(run.output, /log audit FAILED: a recorded code of length 6 appears in .*"note":"Your code is ‹it›\."/)
    // Where: the test file's log, and the line's shape with the value and the digits masked.
    assert.match(run.output, /appears in logs-leaky-log\.fixture\.ts-\d+\.log: ….*"apiKey":"‹it›".*…/)
    for (const line of run.output.split('\n').filter(l => l.includes('log audit FAILED'))) assert.doesNotMatch(line.split('.log: ')[1] ?? 'missing', /\d/)
    const audit = run.output.slice(run.output.indexOf('# log audit'))
    assert.equal(audit.includes(run.secret) || audit.includes(run.code), false)
  })

  it('passes when the product logger redacts it', () => {
    const run = runSuite(false)
    assert.equal(run.status, 0, run.output)
    assert.match(run.output, /# log audit: clean/)
  })
})
