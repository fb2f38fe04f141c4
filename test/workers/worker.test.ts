import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { execSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { resolve } from 'node:path'
import { serve } from '@hono/node-server'
import type { ServerType } from '@hono/node-server'
import { mintToken } from '../../gateway/auth/mint-token.ts'
import { scalarStandalonePath } from '../../gateway/node/docs-assets.ts'
import { API_DOCS_SCRIPT_PATH } from '../../gateway/routes/api-docs.ts'
import { DASHBOARD_ASSET_PATHS } from '../../gateway/routes/dashboard.ts'
import { buildDashboard } from '../../dashboard/build.ts'
import { INTERNAL_SECRET, JWT_SECRET, startInProcessHost } from '../support/in-process-stack.ts'
import { recordSensitive } from '../support/log-audit.ts'
import { startWorkerd } from '../support/workerd.ts'
import type { RunningWorker } from '../support/workerd.ts'
import { until } from '../support/until.ts'
import type { Envelope } from '../support/api-envelope.ts'

const ROOT = resolve(import.meta.dirname, '..', '..')

/** The few wrangler.toml values the test needs: string values by table ('' for the top level). */
const readWranglerToml = () => {
  const tables: Record<string, Record<string, string>> = {}
  let table = ''
  for (const line of readFileSync(resolve(ROOT, 'wrangler.toml'), 'utf8').split('\n')) {
    const header = /^\s*\[([^\]]+)\]\s*$/.exec(line)
    if (header) table = header[1]!.trim()
    const pair = /^\s*([A-Za-z_][\w-]*)\s*=\s*"([^"]*)"\s*(#.*)?$/.exec(line)
    if (pair) {
      const values = tables[table] ?? {}
      tables[table] = values
      values[pair[1]!] = pair[2]!
    }
  }
  return { top: tables[''] ?? {}, vars: tables.vars ?? {}, build: tables.build ?? {}, assets: tables.assets ?? {} }
}

/**
 * The deploy config's entry, bundled and run by the real Workers runtime (workerd), in front of a
 * real session host with Baileys linked to the emulator.
 */
describe('the gateway on the Workers runtime', () => {
  let host: Awaited<ReturnType<typeof startInProcessHost>>
  let hostServer: ServerType
  let worker: RunningWorker
  let admin: string

  const api = async <T>(method: string, path: string, init: { token?: string; body?: unknown } = {}) => {
    const response = await fetch(`${worker.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(init.token ? { authorization: `Bearer ${init.token}` } : {}) },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) })
    })
    return { status: response.status, headers: response.headers, body: (await response.json()) as Envelope<T> }
  }

  before(async () => {
    host = await startInProcessHost()
    const hostUrl = await new Promise<string>(done => {
      hostServer = serve({ fetch: host.hostApp.fetch, port: 0, hostname: '127.0.0.1' }, info => done(`http://127.0.0.1:${(info as AddressInfo).port}`))
    })
    const { top, vars, build, assets } = readWranglerToml()
    assert.ok(top.main && top.compatibility_date, 'wrangler.toml names main and compatibility_date')
    assert.ok(build.command && assets.directory && assets.binding === 'ASSETS', 'wrangler.toml builds and binds its static assets')
    // What `wrangler deploy` runs before it bundles, then uploads from [assets] directory.
    execSync(build.command, { cwd: ROOT, stdio: 'pipe' })
    worker = await startWorkerd({
      main: top.main,
      compatibilityDate: top.compatibility_date,
      assetsDir: resolve(ROOT, assets.directory),
      // The deploy vars, pointed at this host, plus the secrets `wrangler secret put` would set.
      bindings: { ...vars, HOST_URL: hostUrl, OTP_COMPANY_NAME: 'Toko Maju', INTERNAL_SECRET, JWT_SECRET, OTP_PEPPER: 'pepper-for-workers-0123456789abcdef' }
    })
    admin = await mintToken({ secret: JWT_SECRET, scopes: ['admin'], ttlSeconds: 600 })
    recordSensitive(admin)
  })
  after(async () => {
    await worker?.stop()
    await new Promise<void>(done => {
      if (!hostServer) return done()
      hostServer.close(() => done())
      ;(hostServer as { closeAllConnections?: () => void }).closeAllConnections?.()
    })
    await host?.stop()
  })

  it('answers health with the host reachable, and serves the OpenAPI document', async () => {
    const health = await api<{ gateway: string; host: string; mode: string }>('GET', '/api/health')
    assert.equal(health.status, 200, worker.logs())
    const { gateway, host: hostState, mode } = health.body.data
    // "host: ok" means the worker's signed fetch reached the session host and was accepted.
    assert.deepEqual({ gateway, host: hostState, mode }, { gateway: 'ok', host: 'ok', mode: 'live' })

    const doc = await fetch(`${worker.url}/api/openapi.json`)
    assert.equal(doc.status, 200)
    const openapi = (await doc.json()) as { openapi: string; paths: Record<string, unknown> }
    assert.equal(openapi.openapi, '3.1.0')
    assert.ok(openapi.paths['/api/messages/{sessionId}/otp'], Object.keys(openapi.paths).join(', '))
  })

  it('serves the API reference with its script from the static assets, under a CSP that allows no other origin', async () => {
    const page = await fetch(`${worker.url}/api/docs`)
    assert.equal(page.status, 200)
    const csp = page.headers.get('content-security-policy') ?? ''
    assert.match(csp, /default-src 'self'/)
    const nonce = /script-src 'self' 'nonce-([^']+)'/.exec(csp)?.[1]
    assert.ok(nonce, csp)
    const html = await page.text()
    assert.ok(html.includes(`<script src="${API_DOCS_SCRIPT_PATH}"></script>`), html)
    assert.ok(html.includes(`<script nonce="${nonce}">`), 'the inline start-up script carries the nonce')
    assert.doesNotMatch(html, /https?:\/\//, 'the page names no other origin')

    const script = await fetch(`${worker.url}${API_DOCS_SCRIPT_PATH}`)
    assert.equal(script.status, 200, worker.logs())
    assert.deepEqual(Buffer.from(await script.arrayBuffer()), readFileSync(scalarStandalonePath()))
  })

  it('serves the dashboard page from the worker and its bundle from the static assets', async () => {
    const page = await fetch(`${worker.url}/dashboard`)
    assert.equal(page.status, 200)
    assert.match(page.headers.get('content-security-policy') ?? '', /^default-src 'none'; script-src 'self';/)
    const html = await page.text()
    assert.ok(html.includes(`src="${DASHBOARD_ASSET_PATHS.script}"`), html)
    const built = await buildDashboard()
    for (const [name, path] of [
      ['app.js', DASHBOARD_ASSET_PATHS.script],
      ['app.css', DASHBOARD_ASSET_PATHS.style]
    ] as const) {
      const asset = await fetch(`${worker.url}${path}`)
      assert.equal(asset.status, 200, worker.logs())
      assert.deepEqual(Buffer.from(await asset.arrayBuffer()), Buffer.from(built.get(name)!.body), `${name} is the built file`)
    }
  })

  it('refuses a call without a token', async () => {
    const response = await api('GET', '/api/sessions')
    assert.equal(response.status, 401)
    assert.equal(response.body.error?.code, 'UNAUTHORIZED')
    assert.equal(response.headers.get('www-authenticate'), 'Bearer')
  })

  it('links a session with the QR code fetched through the worker', async () => {
    assert.equal((await api('POST', '/api/sessions/create', { token: admin, body: { sessionId: 'shop-1' } })).status, 201)
    const qr = await until(async () => {
      const response = await api<{ qr: string }>('GET', '/api/sessions/shop-1/qr', { token: admin })
      return response.status === 200 ? response.body.data.qr : undefined
    }, 'a QR code')
    await host.sim.linkWithQr(async () => (await api<{ qr: string }>('GET', '/api/sessions/shop-1/qr', { token: admin })).body.data?.qr ?? qr, {
      accountPn: '15550100001'
    })
    await until(
      async () =>
        (await api<{ status: string }>('GET', '/api/sessions/shop-1/status', { token: admin })).body.data?.status === 'connected' ? true : undefined,
      'shop-1 connected'
    )
  })

  it('sends an OTP that the recipient decrypts, then refuses a wrong code and approves the right one', async () => {
    const sent = await api<{ otpId: string; status: string; messageId: string }>('POST', '/api/messages/shop-1/otp', {
      token: admin,
      body: { to: '081234567890' }
    })
    assert.equal(sent.status, 201, JSON.stringify(sent.body))
    assert.equal(sent.body.data.status, 'pending')

    const received = await host.sim.waitForSent(m => m.id === sent.body.data.messageId)
    const text = received.decrypted.find(copy => copy.jid.startsWith('6281234567890'))?.message.extendedTextMessage?.text ?? ''
    assert.match(text, /^Kode verifikasi Toko Maju Anda adalah \d{6}\./)
    const code = /\b(\d{6})\b/.exec(text)![1]!
    recordSensitive(code)
    assert.ok(!JSON.stringify(sent.body).includes(code), 'the response never contains the code')

    const { otpId } = sent.body.data
    const wrong = await api('POST', '/api/otp/verify', { token: admin, body: { otpId, code: code === '000000' ? '111111' : '000000' } })
    assert.equal(wrong.status, 200)
    assert.deepEqual(wrong.body.data, { otpId, valid: false, status: 'pending', attemptsLeft: 4 })

    const right = await api('POST', '/api/otp/verify', { token: admin, body: { otpId, code } })
    assert.equal(right.status, 200)
    assert.deepEqual(right.body.data, { otpId, valid: true, status: 'approved', attemptsLeft: 3 })
  })
})
