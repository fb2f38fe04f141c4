import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createGateway } from '../app.ts'
import { createJwtVerifier } from '../auth/jwt-verifier.ts'
import { mintToken } from '../auth/mint-token.ts'
import { parseGatewayConfig } from '../env/config.ts'
import { createHostClient } from '../host/host-client.ts'
import { readMetrics } from '../../test/support/prometheus-text.ts'
import { MAX_PHONE_NUMBERS } from '../../shared/phone-max.ts'

const JWT_SECRET = 'jwt-secret-for-metrics-tests-0123456789'
const INTERNAL_SECRET = 'internal-secret-for-metrics-tests-01234'
const METRICS_TOKEN = 'metrics-token-for-route-tests-0123456789'

const hostText = (host: string) =>
  `# HELP wagw_sessions Sessions this host runs\n# TYPE wagw_sessions gauge\nwagw_sessions{host="${host}",status="connected"} 1\n`

/** A gateway in front of three hosts: two answer (each with its metrics), the third is down. */
const gateway = () => {
  const config = parseGatewayConfig({
    HOST_URL: 'http://host-a.internal,http://host-b.internal,http://host-c.internal',
    INTERNAL_SECRET,
    JWT_SECRET,
    OTP_PEPPER: 'pepper-for-metrics-tests-0123456789abcd',
    METRICS_TOKEN
  })
  const asked: string[] = []
  const hostFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(input))
    asked.push(`${url.host}${url.pathname} signed:${new Headers(init?.headers).has('x-internal-signature')}`)
    if (url.host === 'host-c.internal') throw new TypeError('fetch failed')
    return new Response(hostText(url.host.split('.')[0]!), { headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' } })
  }
  const app = createGateway({
    config,
    host: createHostClient({ hosts: config.HOST_URL, secret: INTERNAL_SECRET, fetch: hostFetch }),
    verifier: createJwtVerifier({ secret: JWT_SECRET }),
    phoneNumbers: MAX_PHONE_NUMBERS
  })
  return { app, asked }
}

describe('GET /metrics on the gateway', () => {
  const scrape = (app: ReturnType<typeof gateway>['app'], token: string) => app.request('/metrics', { headers: { authorization: `Bearer ${token}` } })

  it("merges the hosts that answered and says which did not, by index only for the scraper's token", async () => {
    const { app, asked } = gateway()
    const response = await scrape(app, METRICS_TOKEN)
    assert.equal(response.status, 200)
    const text = await response.text()
    assert.ok(!text.includes('.internal'), text)
    const { value, family } = readMetrics(text)
    assert.deepEqual(
      family('wagw_gateway_host_up')?.metrics.map(sample => [sample.labels?.index, sample.value]),
      [
        ['0', '1'],
        ['1', '1'],
        ['2', '0']
      ]
    )
    assert.equal(value('wagw_sessions', { host: 'host-a' }), 1)
    assert.equal(value('wagw_sessions', { host: 'host-b' }), 1)
    assert.equal(text.match(/# HELP wagw_sessions /g)?.length, 1)
    assert.ok(
      asked.every(line => line.endsWith('/internal/metrics signed:true')),
      asked.join('\n')
    )
  })

  it('names the hosts by URL for an admin token, and refuses other scopes', async () => {
    const { app } = gateway()
    const admin = await mintToken({ secret: JWT_SECRET, scopes: ['admin'], ttlSeconds: 60 })
    const { family } = readMetrics(await (await scrape(app, admin)).text())
    assert.deepEqual(
      family('wagw_gateway_host_up')?.metrics.map(sample => sample.labels?.url),
      ['http://host-a.internal', 'http://host-b.internal', 'http://host-c.internal']
    )
    const sender = await mintToken({ secret: JWT_SECRET, scopes: ['otp:send'], ttlSeconds: 60 })
    const refused = await scrape(app, sender)
    assert.equal(refused.status, 403)
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'INSUFFICIENT_SCOPE')
    const missing = await app.request('/metrics')
    assert.equal(missing.status, 401)
    assert.equal(missing.headers.get('www-authenticate'), 'Bearer')
  })
})
