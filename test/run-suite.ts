import { spawn } from 'node:child_process'
import { createWriteStream, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative, resolve } from 'node:path'

/**
 * `npm test`: every *.test.ts under the project's folders through Node's test runner, then the log
 * audit: no secret, token or OTP code any test recorded may appear in any log line of the suite
 * (the runner's output, the in-process loggers and the gateway and host processes).
 */
const ROOT = resolve(import.meta.dirname, '..')
const auditDir = mkdtempSync(join(tmpdir(), 'log-audit-'))

const testFiles = (folder: string): string[] =>
  readdirSync(join(ROOT, folder), { withFileTypes: true, recursive: true })
    .filter(entry => entry.isFile() && entry.name.endsWith('.test.ts'))
    .map(entry => relative(ROOT, join(entry.parentPath, entry.name)))
const files = ['session-host', 'gateway', 'shared', 'scripts', 'test'].flatMap(testFiles).sort()
const only = process.argv.slice(2)

// A runner started from inside a test would otherwise report to that test's runner, not to us.
const { NODE_TEST_CONTEXT: _ignored, ...env } = process.env
const runnerLog = createWriteStream(join(auditDir, 'runner-output.log'))
const blockingStdout = join(ROOT, 'test', 'support', 'blocking-stdout.ts')
const child = spawn(
  process.execPath,
  ['--import', 'tsx', '--import', blockingStdout, '--test', '--test-force-exit', '--test-reporter=tap', ...(only.length ? only : files)],
  {
    cwd: ROOT,
    env: { ...env, LOG_AUDIT_DIR: auditDir },
    stdio: ['ignore', 'pipe', 'pipe']
  }
)
for (const stream of [child.stdout, child.stderr]) {
  stream.on('data', (chunk: Buffer) => {
    runnerLog.write(chunk)
    ;(stream === child.stdout ? process.stdout : process.stderr).write(chunk)
  })
}
const exitCode = await new Promise<number>(done => child.on('close', code => done(code ?? 1)))
await new Promise(done => runnerLog.end(done))

const entries = readdirSync(auditDir)
const sensitive = new Set(
  entries
    .filter(f => f.startsWith('sensitive-'))
    .flatMap(f => readFileSync(join(auditDir, f), 'utf8').split('\n'))
    .filter(v => v.length >= 4)
)
/**
 * Where a leak is, without the leak: the line around it with the value, every other recorded value
 * and every digit masked, so a chance match (a number that happens to equal a code) can be told
 * from a real one by the shape of what surrounds it.
 */
const maskedAround = (text: string, at: number, value: string): string => {
  const before = text
    .slice(Math.max(0, at - 60), at)
    .split('\n')
    .at(-1)
  const after = text.slice(at + value.length, at + value.length + 60).split('\n')[0]
  let around = `${before}‹it›${after}`
  for (const other of sensitive) around = around.replaceAll(other, '‹recorded›')
  return around.replace(/[A-Za-z0-9+/_-]{16,}/g, '‹long›').replace(/\d/g, '#')
}
const logs = entries.filter(f => f.endsWith('.log')).map(f => ({ file: f, text: readFileSync(join(auditDir, f), 'utf8') }))
const bytes = logs.reduce((n, log) => n + log.text.length, 0)
// A code must stand alone as a word: longer digit runs (timestamps, phone numbers) may contain it
// by chance, and so may the fraction of a number (the runner's `duration_ms: 31.469768`), a process
// id, and the hex of a message id (`3EB0A7C1482913F…`): a suite's logs hold about a hundred such
// six-digit runs inside ids, enough to match one of its ~360 codes in one run out of twenty.
const isCode = (value: string): boolean => /^\d+$/.test(value)
const leaks = [...sensitive].flatMap(value => {
  const pattern = isCode(value) ? new RegExp(`(?<![\\w.]|"pid":)${value}(?!\\w)`) : undefined
  for (const log of logs) {
    const at = pattern ? log.text.search(pattern) : log.text.indexOf(value)
    if (at >= 0) return [{ value, file: log.file, around: maskedAround(log.text, at, value) }]
  }
  return []
})
rmSync(auditDir, { recursive: true, force: true })

console.log(`# log audit: ${sensitive.size} secrets, tokens and OTP codes checked against ${(bytes / 1e6).toFixed(1)} MB of logs in ${logs.length} files`)
if (!only.length && (sensitive.size === 0 || logs.length === 0)) {
  console.log('# log audit FAILED: nothing was recorded, so the audit proved nothing')
  process.exit(exitCode || 1)
}
if (leaks.length) {
  // Never print the value itself: its kind and length are enough to find the test.
  for (const { value, file, around } of leaks)
    console.log(`# log audit FAILED: a recorded ${isCode(value) ? 'code' : 'secret or token'} of length ${value.length} appears in ${file}: …${around}…`)
  process.exit(exitCode || 1)
}
console.log('# log audit: clean')
process.exit(exitCode)
