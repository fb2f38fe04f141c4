import { spawn } from 'node:child_process'
import { rmSync } from 'node:fs'
import { resolve } from 'node:path'
import { captureLog } from './log-audit.ts'
import { stackEnvironment } from './processes.ts'
import { descendants, isRunning } from './process-tree.ts'
import { until } from './until.ts'

const ROOT = resolve(import.meta.dirname, '..', '..')
const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms))

/**
 * `npm start` on a fresh data folder and free ports, in its own process group as a terminal or
 * systemd runs it. Every process ever seen in its tree is remembered, so that `stop` can make
 * sure none is left, even those that outlive npm itself (npm's `sh` dies on SIGTERM at once).
 */
export const npmStart = async (extraEnv: Record<string, string>, args: string[] = []) => {
  const { dataDir, env: base } = await stackEnvironment('supervisor-')
  const env: Record<string, string> = {
    ...base,
    // npm would otherwise ask the registry for a newer npm and leave a debug log in ~/.npm/_logs.
    npm_config_update_notifier: 'false',
    npm_config_logs_max: '0',
    ...extraEnv
  }
  const npm = spawn('npm', ['start', ...(args.length ? ['--', ...args] : [])], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  for (const stream of [npm.stdout, npm.stderr]) {
    stream.setEncoding('utf8')
    stream.on('data', (text: string) => {
      output += text
      captureLog(text)
    })
  }
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(resolve => npm.once('exit', (code, signal) => resolve({ code, signal })))
  const seen = new Set<number>()
  const tree = () => {
    const processes = descendants(npm.pid!)
    for (const { pid } of processes) seen.add(pid)
    return processes
  }
  const leftovers = () => [npm.pid!, ...seen].filter(isRunning)

  return {
    url: `http://127.0.0.1:${env.PORT}`,
    output: () => output,
    running: () => npm.exitCode === null && npm.signalCode === null,
    /** The process id of the child whose command line names `entry`, such as `session-host/main.ts`. */
    pidOf: (entry: string) => tree().find(p => p.cmdline.includes(entry))?.pid,
    /** npm start's exit, or undefined after `timeoutMs`; the tree is watched meanwhile. */
    exited: async (timeoutMs: number) => {
      const deadline = Date.now() + timeoutMs
      while (Date.now() < deadline && npm.exitCode === null && npm.signalCode === null) {
        tree()
        await sleep(100)
      }
      return npm.exitCode === null && npm.signalCode === null ? undefined : await exit
    },
    leftovers,
    /** SIGTERM to the group (Ctrl-C or `systemctl stop` do the same), then SIGKILL for whatever is left after 20 s. */
    stop: async (): Promise<{ killed: number }> => {
      tree()
      try {
        process.kill(-npm.pid!, 'SIGTERM')
      } catch {
        // The group is gone already.
      }
      await until(async () => (leftovers().length === 0 ? true : undefined), 'npm start and its children to exit', { timeoutMs: 20_000, everyMs: 100 }).catch(
        () => undefined
      )
      const left = leftovers()
      for (const pid of left) process.kill(pid, 'SIGKILL')
      rmSync(dataDir, { recursive: true, force: true })
      return { killed: left.length }
    }
  }
}
export type NpmStart = Awaited<ReturnType<typeof npmStart>>
