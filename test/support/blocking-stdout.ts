/**
 * Preloaded into every test file's process (test/run-suite.ts). `--test-force-exit` ends each of
 * them with process.exit(), and on Linux the pipe to the runner is written asynchronously, so the
 * verdicts still buffered at that moment were lost without a trace (nodejs/node#64833): a CI run
 * counted 930 of 941 tests, all passing. With blocking writes nothing is left buffered at the exit.
 */
const stdout = process.stdout as unknown as { _handle?: { setBlocking?(blocking: boolean): void } }
stdout._handle?.setBlocking?.(true)
