import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { SentMessage } from '../../session-host/sim/index.ts'
import { startFleet } from '../support/fleet-stack.ts'
import type { Fleet, FleetHostProcess } from '../support/fleet-stack.ts'
import { until } from '../support/until.ts'
import { startWebhookReceiver } from '../support/webhook-receiver.ts'

const SESSIONS = 30
const BURST = 300
const CLIENTS = 12
const WEBHOOK_SECRET = 'whsec_ZmxlZXQtdGVzdC13ZWJob29rLXNlY3JldC0xMjM0NTY='
const sessionId = (i: number) => `fleet-${String(i).padStart(2, '0')}`
const accountOf = (i: number) => `6281200${String(i).padStart(5, '0')}`
const destination = (i: number) => `6281350${String(i).padStart(5, '0')}`

/** The code a recipient's phone shows in an OTP message. */
const codeIn = (sent: SentMessage | undefined): string | undefined => {
  const copy = sent?.decrypted.find(d => d.jid.startsWith(`${sent.to.split('@')[0]}`))
  const text = copy?.message.extendedTextMessage?.text ?? copy?.message.conversation ?? ''
  return /\b(\d{6})\b/.exec(text)?.[1]
}

/**
 * Three session hosts on one PostgreSQL, thirty linked sessions spread over them, one gateway in
 * front, and the emulator playing WhatsApp for all of them. Each test breaks the fleet in the way
 * an operator's machines break (a crash, a clean stop, a stall past the lease, a new machine) and
 * checks what users would: every message once, every event, every code verifiable.
 */
describe('a fleet of session hosts on PostgreSQL', () => {
  let fleet: Fleet
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>

  before(async () => {
    receiver = await startWebhookReceiver()
    receiver.setSecret(WEBHOOK_SECRET)
    fleet = await startFleet({
      hosts: 3,
      env: { WEBHOOK_URL: receiver.url, WEBHOOK_SECRET, WEBHOOK_EVENTS: 'message.status,otp.status,session.status', WEBHOOK_RETRY_DELAYS_MS: '50,100,200' }
    })
    for (let start = 0; start < SESSIONS; start += 6)
      await Promise.all(Array.from({ length: Math.min(6, SESSIONS - start) }, (_, k) => fleet.linkSession(sessionId(start + k), accountOf(start + k))))
    await until(async () => ((await fleet.owners()).size === SESSIONS ? true : undefined), 'every session held')
  })
  after(async () => {
    await fleet?.stop()
    await receiver?.stop()
  })

  const held = async () => {
    const counts = new Map<string, number>(fleet.hosts.map(host => [host.id, 0]))
    for (const owner of (await fleet.owners()).values()) counts.set(owner, (counts.get(owner) ?? 0) + 1)
    return counts
  }
  /** Every session connected on a host, and none on `gone` (whose rows say connected until its leases run out). */
  const allConnected = async (gone?: FleetHostProcess) => {
    const listed = (await fleet.call('GET', '/api/sessions')).body.data as { sessions: { status: string; hostId: string | null }[] }
    return (
      listed.sessions.length === SESSIONS &&
      listed.sessions.every(session => session.status === 'connected' && session.hostId !== null && session.hostId !== gone?.id)
    )
  }

  it('spreads the sessions over the hosts, and health lists them (their URLs for an admin only)', async () => {
    await until(async () => ([...(await held()).values()].every(n => n === SESSIONS / 3) ? true : undefined), 'ten sessions per host', {
      timeoutMs: 30_000
    })
    const health = (await fleet.call('GET', '/api/health')).body.data as { hosts: { id: string; status: string; sessions: number; url?: string }[] }
    assert.deepEqual(
      health.hosts.map(host => [host.id, host.status, host.sessions, host.url]),
      fleet.hosts.map(host => [host.id, 'up', 10, host.url])
    )
    const anonymous = await fetch(`${fleet.url}/api/health`).then(r => r.json() as Promise<{ data: { hosts: { url?: string }[] } }>)
    assert.ok(anonymous.data.hosts.length === 3 && anonymous.data.hosts.every(host => host.url === undefined))
  })

  it('after SIGKILL of the busiest host mid-burst, its sessions connect on the others; every OTP reaches its recipient once and verifies', async t => {
    const accepted = new Map<number, { otpId: string; messageId: string }>()
    let failedAttempts = 0
    const sendWithRetries = async (i: number) => {
      for (let attempt = 0; attempt < 600; attempt++) {
        const response = await fleet
          .call('POST', `/api/messages/${sessionId(i % SESSIONS)}/otp`, {
            body: { to: `+${destination(i)}` },
            headers: { 'idempotency-key': `fleet-otp-${i}` }
          })
          .catch(() => undefined)
        if (response && (response.status === 200 || response.status === 201)) {
          accepted.set(i, response.body.data as { otpId: string; messageId: string })
          return
        }
        failedAttempts++
        await new Promise(resolve => setTimeout(resolve, 100))
      }
      throw new Error(`OTP ${i} was never accepted`)
    }
    let next = 0
    const clients = Array.from({ length: CLIENTS }, async () => {
      while (next < BURST) await sendWithRetries(next++)
    })
    await until(async () => (fleet.sim.sent.length >= 60 ? true : undefined), 'the burst under way', { everyMs: 5 })
    const before = await held()
    const busiest = fleet.hosts.reduce((a, b) => ((before.get(a.id) ?? 0) >= (before.get(b.id) ?? 0) ? a : b))
    const killedAt = Date.now()
    await fleet.kill(busiest, 'SIGKILL')
    assert.ok(accepted.size < BURST, `the host died mid-burst (${accepted.size} accepted)`)

    await until(async () => ((await allConnected(busiest)) ? true : undefined), 'every session connected again on the others', { timeoutMs: 60_000 })
    const failover = Date.now() - killedAt
    const owners = await fleet.owners()
    assert.ok(![...owners.values()].includes(busiest.id), 'nothing is held by the dead host')
    await Promise.all(clients)
    assert.equal(accepted.size, BURST)

    const ids = [...accepted.values()].map(otp => otp.messageId)
    assert.equal(new Set(ids).size, BURST, 'one message id per OTP')
    await until(async () => (ids.every(id => fleet.sim.sent.some(m => m.id === id && !m.duplicate)) ? true : undefined), 'every OTP at its recipient', {
      timeoutMs: 120_000
    })
    for (let i = 0; i < BURST; i++) {
      const copies = fleet.sim.sent.filter(m => m.to.startsWith(destination(i)))
      assert.deepEqual([...new Set(copies.map(m => m.id))], [accepted.get(i)?.messageId], `OTP ${i} went out under one id`)
      assert.equal(copies.filter(m => !m.duplicate && !m.refusedWith).length, 1, `OTP ${i} shown once`)
    }
    for (let i = 0; i < BURST; i++) {
      const otp = accepted.get(i)!
      const code = codeIn(fleet.sim.sent.find(m => m.id === otp.messageId && !m.duplicate))
      const verified = await fleet.call('POST', '/api/otp/verify', { body: { otpId: otp.otpId, code } })
      assert.equal(
        (verified.body.data as { valid?: boolean } | undefined)?.valid,
        true,
        `OTP ${i} verifies: ${verified.status} ${JSON.stringify(verified.body)} (code ${code})`
      )
    }

    const pending = async () => Number((await fleet.query<{ n: string }>(`SELECT count(*) AS n FROM webhook_deliveries WHERE status <> 'delivered'`))[0]?.n)
    await until(async () => ((await pending()) === 0 ? true : undefined), 'every webhook delivered', { timeoutMs: 120_000 })
    const recorded = await fleet.query<{ id: string }>(`SELECT id FROM webhook_events`)
    const received = new Set(receiver.state.verified.map(event => event.id))
    for (const event of recorded) assert.ok(received.has(event.id), `event ${event.id} delivered`)
    t.diagnostic(`failover ${failover} ms (LEASE_MS 3000); failed client attempts ${failedAttempts}; events ${recorded.length}`)

    await fleet.startHost(busiest)
    await until(async () => ([...(await held()).values()].every(n => n === SESSIONS / 3) ? true : undefined), 'shares even again', { timeoutMs: 60_000 })
  })
})
