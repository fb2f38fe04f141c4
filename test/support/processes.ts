import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { captureLog, recordSensitive } from './log-audit.ts'
import { exited, stopChildren } from './child-exit.ts'

const ROOT = resolve(import.meta.dirname, '..', '..')

export const freePort = (): Promise<number> =>
  new Promise((done, fail) => {
    const server = createServer()
    server.once('error', fail)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => done(port))
    })
  })

/** Polls `url` until it answers 2xx; fails after 30 s. */
export const waitFor = async (url: string): Promise<void> => {
  for (let i = 0; i < 300; i++) {
    if (
      await fetch(url).then(
        r => r.ok,
        () => false
      )
    )
      return
    await new Promise(r => setTimeout(r, 100))
  }
  throw new Error(`${url} did not come up`)
}

/** Every line any process of the suite printed, for the "no secret in the logs" check. */
export const capturedLogs: string[] = []

/** The secrets of every stack a test starts (the log audit looks for them). */
export const TEST_SECRETS = {
  INTERNAL_SECRET: 'e2e-internal-secret-0123456789abcdefghij',
  JWT_SECRET: 'e2e-jwt-secret-0123456789abcdefghijklmn',
  OTP_PEPPER: 'e2e-otp-pepper-0123456789abcdefghijklmn'
}

/**
 * What every way of starting the stack in a test gives it: a temporary data folder, free loopback
 * ports, test secrets (recorded for the log audit) and debug logs.
 */
export const stackEnvironment = async (dataDirPrefix: string) => {
  const dataDir = mkdtempSync(join(tmpdir(), dataDirPrefix))
  const [gatewayPort, hostPort] = [await freePort(), await freePort()]
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    DATA_DIR: dataDir,
    PORT: String(gatewayPort),
    HOST_PORT: String(hostPort),
    ...TEST_SECRETS,
    LOG_LEVEL: 'debug'
  }
  recordSensitive(...Object.values(TEST_SECRETS))
  return { dataDir, gatewayPort, hostPort, env }
}

export type StackProcesses = {
  url: string
  env: Record<string, string>
  dataDir: string
  startHost(): Promise<void>
  killHost(signal?: NodeJS.Signals): Promise<void>
  /** The process id of `gateway` or `host`: its memory and CPU time are read from /proc. */
  pid(name: 'gateway' | 'host'): number | undefined
  stop(): Promise<void>
}

/**
 * Runs the session host and the gateway as separate Node processes with the environment
 * `npm start` gives them, on free loopback ports and a temporary data folder.
 */
export const startProcesses = async (
  extraEnv: Record<string, string>,
  /** Extra Node flags per process, such as `--cpu-prof` for the bench. */
  { nodeArgs = () => [] }: { nodeArgs?: (name: 'host' | 'gateway') => string[] } = {}
): Promise<StackProcesses> => {
  const { dataDir, gatewayPort, hostPort, env: base } = await stackEnvironment('e2e-')
  const env: Record<string, string> = {
    ...base,
    HOST_URL: `http://127.0.0.1:${hostPort}`,
    GATEWAY_URL: `http://127.0.0.1:${gatewayPort}`,
    ...extraEnv
  }
  const children = new Map<string, ChildProcess>()
  const run = (name: 'host' | 'gateway', entry: string): ChildProcess => {
    const child = spawn(process.execPath, [...nodeArgs(name), '--import', 'tsx', join(ROOT, entry)], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    for (const stream of [child.stdout, child.stderr])
      stream?.on('data', chunk => {
        capturedLogs.push(`[${name}] ${String(chunk)}`)
        captureLog(String(chunk))
      })
    children.set(name, child)
    return child
  }

  const startHost = async () => {
    run('host', 'session-host/main.ts')
    await waitFor(`http://127.0.0.1:${hostPort}/health`)
  }
  await startHost()
  run('gateway', 'gateway/node.ts')
  await waitFor(`http://127.0.0.1:${gatewayPort}/api/health`)

  return {
    url: `http://127.0.0.1:${gatewayPort}`,
    env,
    dataDir,
    startHost,
    pid: name => children.get(name)?.pid,
    killHost: async (signal = 'SIGKILL') => {
      const host = children.get('host')
      host?.kill(signal)
      if (host) await exited(host)
    },
    stop: async () => {
      try {
        await stopChildren([...children])
      } finally {
        rmSync(dataDir, { recursive: true, force: true })
      }
    }
  }
}
