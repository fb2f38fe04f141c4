import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { Readable } from 'node:stream'
import { captureLog } from './log-audit.ts'
import { bundleWorker } from './worker-bundle.ts'

const ROOT = resolve(import.meta.dirname, '..', '..')
const WORKERD = join(ROOT, 'node_modules', '.bin', 'workerd')

export type WorkerdOptions = {
  /** The worker's entry module, relative to the repository root (wrangler.toml's `main`). */
  main: string
  compatibilityDate: string
  /** Text bindings: the worker's vars and secrets. */
  bindings: Record<string, string>
  /** A folder served read-only as the ASSETS binding, as Workers Static Assets serve `[assets]`. */
  assetsDir?: string
  /** The script already bundled (bundleWorker), so a benchmark can time workerd alone. */
  bundled?: Uint8Array
}

export type RunningWorker = { url: string; logs: () => string; stop(): Promise<void> }

// Cap'n Proto text literals take the same escapes as JSON for the strings used here.
const capnpString = (value: string) => JSON.stringify(value)

const capnpConfig = ({ compatibilityDate, bindings, assetsDir }: WorkerdOptions) => `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .gateway),${assetsDir ? `\n    (name = "assets", disk = (path = ${capnpString(assetsDir)}, writable = false)),` : ''}
    # workerd refuses outbound fetches to loopback unless the worker's outbound allows them.
    (name = "net", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:0", http = (), service = "main")],
);

const gateway :Workerd.Worker = (
  modules = [(name = "worker.js", esModule = embed "worker.js")],
  compatibilityDate = ${capnpString(compatibilityDate)},
  bindings = [
${Object.entries(bindings)
  .map(([name, text]) => `    (name = ${capnpString(name)}, text = ${capnpString(text)}),`)
  .join('\n')}${assetsDir ? '\n    (name = "ASSETS", service = "assets"),' : ''}
  ],
  globalOutbound = "net",
);
`

/** Reads workerd's control channel until it reports the port of the "http" socket. */
const listenPort = (child: ChildProcess, logs: () => string): Promise<number> =>
  new Promise((done, fail) => {
    const control = child.stdio[3] as Readable
    let buffered = ''
    const onData = (chunk: Buffer) => {
      buffered += String(chunk)
      for (const line of buffered.split('\n').slice(0, -1)) {
        const event = JSON.parse(line) as { event?: string; socket?: string; port?: number }
        if (event.event === 'listen' && event.socket === 'http' && event.port) {
          control.off('data', onData)
          child.off('exit', onExit)
          clearTimeout(timer)
          done(event.port)
        }
      }
      buffered = buffered.slice(buffered.lastIndexOf('\n') + 1)
    }
    const onExit = (code: number | null) => {
      clearTimeout(timer)
      fail(new Error(`workerd exited (${code}) before listening:\n${logs()}`))
    }
    const timer = setTimeout(() => {
      child.off('exit', onExit)
      fail(new Error(`workerd did not listen within 15 s:\n${logs()}`))
    }, 15_000)
    control.on('data', onData)
    child.once('exit', onExit)
  })

/**
 * Bundles a worker the way Workers runs it (ESM, no Node built-ins: a `node:` import fails the
 * build) and serves it with the real workerd runtime on a free loopback port.
 */
export const startWorkerd = async (options: WorkerdOptions): Promise<RunningWorker> => {
  const dir = mkdtempSync(join(tmpdir(), 'workerd-'))
  try {
    writeFileSync(join(dir, 'worker.js'), options.bundled ?? (await bundleWorker(options.main)))
    writeFileSync(join(dir, 'config.capnp'), capnpConfig(options))
  } catch (error) {
    rmSync(dir, { recursive: true, force: true })
    throw error
  }

  const child = spawn(WORKERD, ['serve', join(dir, 'config.capnp'), '--control-fd=3'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] })
  const output: string[] = []
  for (const stream of [child.stdout, child.stderr])
    stream?.on('data', chunk => {
      output.push(String(chunk))
      captureLog(String(chunk))
    })
  const logs = () => output.join('')
  const exited = new Promise<void>(done => child.once('exit', () => done()))

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      const force = setTimeout(() => child.kill('SIGKILL'), 3_000)
      await exited
      clearTimeout(force)
    }
    rmSync(dir, { recursive: true, force: true })
  }

  try {
    const port = await listenPort(child, logs)
    return { url: `http://127.0.0.1:${port}`, logs, stop }
  } catch (error) {
    await stop()
    throw error
  }
}
