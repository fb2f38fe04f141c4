import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { describe, it } from 'node:test'
import pg from 'pg'
import { startPostgres } from './postgres.ts'
import { until } from './until.ts'

/** What a TCP connection to the port meets: 'connected', or the error code. */
const dial = (port: number) =>
  new Promise<string>(done => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      done('connected')
    })
    socket.once('error', (error: NodeJS.ErrnoException) => done(error.code ?? error.message))
  })

const withClient = async <T>(connectionString: string, use: (client: pg.Client) => Promise<T>): Promise<T> => {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 10_000 })
  await client.connect()
  try {
    return await use(client)
  } finally {
    await client.end()
  }
}

type OtpRow = { phone: string; attempts: number }

const setting = (client: pg.Client, name: string) => client.query<Record<string, string>>(`SHOW ${name}`).then(r => r.rows[0]?.[name])

/**
 * A separate Node process that starts a cluster, reports where, and then either ends by itself
 * without calling stop() or waits to be killed.
 */
const orphan = async (ending: 'returns' | 'is killed') => {
  const module = pathToFileURL(join(import.meta.dirname, 'postgres.ts')).href
  const script = `
    import { startPostgres } from ${JSON.stringify(module)}
    const { dir, port } = await startPostgres()
    console.log(JSON.stringify({ dir, port }))
    if (${ending === 'is killed'}) setInterval(() => {}, 1000)
  `
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
  const exited = new Promise<void>(done => child.once('exit', () => done()))
  const line = await new Promise<string>((done, fail) => {
    let out = ''
    child.stdout.on('data', chunk => {
      out += String(chunk)
      if (out.includes('\n')) done(out)
    })
    child.once('exit', code => fail(new Error(`the orphan exited (${code}) before it reported its cluster: ${out}`)))
  })
  const cluster: { dir: string; port: number } = JSON.parse(line)
  if (ending === 'is killed') child.kill('SIGKILL')
  await exited
  return cluster
}

describe('a private PostgreSQL cluster for tests', { timeout: 120_000 }, () => {
  it('keeps what a transaction wrote, listens on loopback only, and leaves nothing once stopped', async t => {
    const started = performance.now()
    const postgres = await startPostgres()
    const startMs = performance.now() - started
    const url = await postgres.createDatabase()
    assert.match(url, new RegExp(`^postgres://postgres:[A-Za-z0-9_-]{24}@127\\.0\\.0\\.1:${postgres.port}/test_1$`))
    // Another local user cannot walk in as superuser over TCP: only this cluster's password opens it.
    await assert.rejects(withClient(`postgres://postgres@127.0.0.1:${postgres.port}/test_1`, async () => undefined))
    await assert.rejects(
      withClient(`postgres://postgres:wrong@127.0.0.1:${postgres.port}/test_1`, async () => undefined),
      /password authentication failed/
    )

    await withClient(url, async client => {
      assert.equal(await setting(client, 'listen_addresses'), '127.0.0.1')
      assert.equal(await setting(client, 'port'), String(postgres.port))
      // Its socket sits in its own folder, not in /var/run/postgresql where a system server's does.
      assert.equal(await setting(client, 'unix_socket_directories'), postgres.dir)
      assert.deepEqual((await client.query<{ name: string }>('SELECT current_database() AS name')).rows, [{ name: 'test_1' }])

      await client.query('CREATE TABLE otp (phone text PRIMARY KEY, attempts int NOT NULL)')
      await client.query('BEGIN')
      await client.query('INSERT INTO otp (phone, attempts) VALUES ($1, $2)', ['+15550001', 0])
      await client.query('UPDATE otp SET attempts = attempts + 1 WHERE phone = $1', ['+15550001'])
      assert.deepEqual((await client.query<OtpRow>('SELECT phone, attempts FROM otp')).rows, [{ phone: '+15550001', attempts: 1 }])
      await client.query('COMMIT')
    })
    // A new connection sees the row: the transaction committed, not just the session's view.
    const rows = await withClient(url, async client => (await client.query<OtpRow>('SELECT phone, attempts FROM otp')).rows)
    assert.deepEqual(rows, [{ phone: '+15550001', attempts: 1 }])

    const stopping = performance.now()
    await postgres.stop()
    t.diagnostic(`cluster started in ${Math.round(startMs)} ms, stopped in ${Math.round(performance.now() - stopping)} ms`)
    assert.equal(existsSync(postgres.dir), false)
    assert.equal(await dial(postgres.port), 'ECONNREFUSED')
  })

  it('gives callers in parallel a cluster and port each, and fresh databases on demand', async () => {
    const [a, b] = await Promise.all([startPostgres(), startPostgres()])
    try {
      assert.notEqual(a.port, b.port)
      assert.notEqual(a.dir, b.dir)
      await withClient(await a.createDatabase('sessions'), client => client.query('CREATE TABLE only_in_a (id int)'))
      const inB = await withClient(await b.createDatabase('sessions'), client =>
        client.query<{ found: string | null }>("SELECT to_regclass('only_in_a') AS found")
      )
      assert.deepEqual(inB.rows, [{ found: null }])
      await assert.rejects(a.createDatabase('sessions'), /already exists/)
      await assert.rejects(a.createDatabase('x; DROP DATABASE postgres'), /plain|lower-case/)
    } finally {
      await Promise.all([a.stop(), b.stop()])
    }
  })

  it('leaves no server or folder behind when a test process ends without stop()', async () => {
    const { dir, port } = await orphan('returns')
    // At once: the exit handler stops the cluster before the process is gone (the watchdog would come later).
    assert.equal(existsSync(dir), false)
    assert.equal(await dial(port), 'ECONNREFUSED')
  })

  it('leaves no server or folder behind when a test process is killed', async () => {
    const { dir, port } = await orphan('is killed')
    // No exit handler runs on SIGKILL: the watchdog notices the process is gone and cleans up.
    await until(async () => (!existsSync(dir) && (await dial(port)) === 'ECONNREFUSED') || undefined, `the cluster in ${dir} to stop and vanish`, {
      timeoutMs: 20_000,
      everyMs: 100
    })
  })
})
