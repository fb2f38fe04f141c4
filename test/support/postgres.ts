import { execFile, execFileSync, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { freePort } from './processes.ts'

/**
 * A private PostgreSQL cluster per call, from Debian's packages (scripts/install-test-deps.sh):
 * its own temporary folder, a free loopback port and a socket in that folder, so test files can
 * run in parallel and no test touches a server that happens to run on the machine.
 */
export type Postgres = {
  port: number
  /** Holds the cluster (data/), its log (pg.log) and its Unix socket; stop() removes it. */
  dir: string
  /** The superuser's URL to the `postgres` database (with this cluster's random password). */
  url: string
  /** Creates an empty database (by default test_1, test_2, ...) and answers its URL. */
  createDatabase(name?: string): Promise<string>
  stop(): Promise<void>
}

type Command = [file: string, args: string[]]

const INSTALL_HINT = "run bash scripts/install-test-deps.sh (Debian's postgresql package)"

/** Debian installs each major version under /usr/lib/postgresql/<version>/bin, off PATH. */
const binaries = () => {
  const root = '/usr/lib/postgresql'
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter(version => /^\d+$/.test(version) && existsSync(join(root, version, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : []
  const at = (name: string) => (versions[0] === undefined ? name : join(root, versions[0], 'bin', name))
  return { initdb: at('initdb'), pgCtl: at('pg_ctl') }
}

const run = (what: string, [file, args]: Command, timeoutMs: number): Promise<void> =>
  new Promise((done, fail) => {
    execFile(file, args, { timeout: timeoutMs, encoding: 'utf8' }, (error, _stdout, stderr) => {
      if (!error) return done()
      const why = error.killed ? `timed out after ${timeoutMs} ms` : error.code === 'ENOENT' ? `${file} not found: ${INSTALL_HINT}` : `exit code ${error.code}`
      fail(new Error(`${what} failed (${why})${stderr.trim() ? `:\n${stderr.trim()}` : ''}`))
    })
  })

const logTail = (log: string, lines = 20): string =>
  existsSync(log) ? readFileSync(log, 'utf8').trimEnd().split('\n').slice(-lines).join('\n') : '(pg.log was not written)'

/** Clusters this process started and has not stopped, each with a synchronous way to stop it. */
const live = new Set<() => void>()
let exitHooked = false

/** A test process that ends without stop() (a failed assertion, --test-force-exit, Ctrl-C) still leaves nothing behind. */
const stopAllOnExit = () => {
  if (exitHooked) return
  exitHooked = true
  const stopAll = () => {
    for (const stopNow of live) stopNow()
  }
  process.on('exit', stopAll)
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
    process.once(signal, () => {
      stopAll()
      // Listening took away the signal's default; give it back unless someone else handles it.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal)
    })
}

/**
 * Stops the cluster and removes its folder once this process is gone, however it ends (SIGKILL
 * included, where no exit handler runs): its stdin is a pipe from this process, and the read
 * returns only when the pipe's last writer, this process, has closed it.
 */
const WATCHDOG = 'read _; dir=$1; shift; "$@" -D "$dir/data" -m immediate -w -t 20 stop >/dev/null 2>&1; rm -rf "$dir"'

export const startPostgres = async (): Promise<Postgres> => {
  const { initdb, pgCtl } = binaries()
  // initdb refuses to run as root, and pg_ctl refuses to start a server as root.
  const asRoot = process.getuid?.() === 0
  const as = (binary: string, args: string[]): Command => (asRoot ? ['runuser', ['-u', 'postgres', '--', binary, ...args]] : [binary, args])
  const dir = mkdtempSync(join(tmpdir(), 'pg-test-'))
  const data = join(dir, 'data')
  const log = join(dir, 'pg.log')
  const password = randomBytes(18).toString('base64url')
  const passwordFile = join(dir, 'password')

  const [ctlFile, ctlArgs] = as(pgCtl, [])
  const watchdog = spawn('sh', ['-c', WATCHDOG, 'pg-test-watchdog', dir, ctlFile, ...ctlArgs], { stdio: ['pipe', 'ignore', 'ignore'], detached: true })
  watchdog.unref()
  const stopNow = () => {
    live.delete(stopNow)
    watchdog.kill()
    try {
      execFileSync(...as(pgCtl, ['-D', data, '-m', 'immediate', '-w', '-t', '20', 'stop']), { stdio: 'ignore', timeout: 25_000 })
    } catch {
      // No server was running (it never started, or already stopped): only the folder is left.
    }
    rmSync(dir, { recursive: true, force: true })
  }
  live.add(stopNow)
  stopAllOnExit()

  let port: number
  try {
    if (asRoot) await run('chown of the cluster folder to the postgres OS user (Debian creates that user)', ['chown', ['postgres', dir]], 10_000)
    // Over TCP the superuser needs this cluster's own random password: trust on 127.0.0.1 would let
    // any local user in as superuser (and COPY … TO PROGRAM runs commands as the test's user). The
    // socket stays trusted: it sits in this 0700 folder. --no-sync halves initdb's time (1.3 s to
    // 0.6 s), for the same reason as fsync=off below.
    writeFileSync(passwordFile, password, { mode: 0o600 })
    if (asRoot) await run('chown of the password file', ['chown', ['postgres', passwordFile]], 10_000)
    await run(
      'initdb',
      as(initdb, ['-D', data, '--auth-local=trust', '--auth-host=scram-sha-256', `--pwfile=${passwordFile}`, '-U', 'postgres', '--no-sync']),
      60_000
    )
    rmSync(passwordFile, { force: true })
    port = await startServer(as(pgCtl, []), data, dir, log)
  } catch (error) {
    stopNow()
    throw error
  }
  const urlOf = (database: string) => `postgres://postgres:${password}@127.0.0.1:${port}/${database}`
  const url = urlOf('postgres')

  let created = 0
  const createDatabase = async (name = `test_${++created}`): Promise<string> => {
    // The name goes into SQL as it is, so it must be a plain identifier.
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`database name ${JSON.stringify(name)}: use up to 63 lower-case letters, digits and _`)
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000, query_timeout: 30_000 })
    await client.connect()
    try {
      await client.query(`CREATE DATABASE ${name}`)
    } finally {
      await client.end()
    }
    return urlOf(name)
  }

  let stopping: Promise<void> | undefined
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      live.delete(stopNow)
      watchdog.kill()
      try {
        await run('pg_ctl stop', as(pgCtl, ['-D', data, '-m', 'fast', '-w', '-t', '30', 'stop']), 40_000)
      } catch (error) {
        const tail = logTail(log)
        stopNow()
        throw new Error(`${(error as Error).message}\npg.log ends with:\n${tail}`)
      }
      rmSync(dir, { recursive: true, force: true })
    })()
    return stopping
  }

  return { port, dir, url, createDatabase, stop }
}

/** Starts the server on a free port, trying another one if a parallel test took it first. */
const startServer = async ([file, prefix]: Command, data: string, dir: string, log: string): Promise<number> => {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort()
    rmSync(log, { force: true })
    // pg_ctl hands -o to a shell, hence the quotes around the folder. Without fsync the shutdown
    // checkpoint takes 0.2 s instead of up to 1.7 s; a cluster that lives for one test needs no crash safety.
    const options = `-p ${port} -k '${dir}' -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300`
    try {
      await run(`pg_ctl start on port ${port}`, [file, [...prefix, '-D', data, '-o', options, '-l', log, '-w', '-t', '30', 'start']], 40_000)
      return port
    } catch (error) {
      const tail = logTail(log)
      if (attempt < 3 && tail.includes('Address already in use')) continue
      throw new Error(`${(error as Error).message}\npg.log ends with:\n${tail}`)
    }
  }
}
