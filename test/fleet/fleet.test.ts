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
      // The burst is OTPs, which the send governor never paces but counts: off, so failover alone is measured.
      env: {
        SEND_GOVERNOR: 'off',
        WEBHOOK_URL: receiver.url,
        WEBHOOK_SECRET,
        WEBHOOK_EVENTS: 'message.status,otp.status,session.status',
        WEBHOOK_RETRY_DELAYS_MS: '50,100,200'
      }
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
    // The events some endpoint wanted (the stream keeps the others too).
    const recorded = await fleet.query<{ id: string }>(`SELECT id FROM webhook_events WHERE id IN (SELECT event_id FROM webhook_deliveries)`)
    const received = new Set(receiver.state.verified.map(event => event.id))
    for (const event of recorded) assert.ok(received.has(event.id), `event ${event.id} delivered`)
    t.diagnostic(`failover ${failover} ms (LEASE_MS 3000); failed client attempts ${failedAttempts}; events ${recorded.length}`)

    await fleet.startHost(busiest)
    await until(async () => ([...(await held()).values()].every(n => n === SESSIONS / 3) ? true : undefined), 'shares even again', { timeoutMs: 60_000 })
  })

  /** Sends a text to each session, retrying a failed request with the same Idempotency-Key; answers the message ids. */
  const sendToAll = async (sessions: string[], label: string, stats: { failedAttempts: number }) =>
    Promise.all(
      sessions.map(async (id, k) => {
        for (let attempt = 0; attempt < 300; attempt++) {
          const response = await fleet
            .call('POST', `/api/messages/${id}/text`, {
              body: { to: `+${destination(900 + k)}`, text: `${label} ${id}` },
              headers: { 'idempotency-key': `${label}-${id}` }
            })
            .catch(() => undefined)
          if (response?.status === 200) return (response.body.data as { messageId: string }).messageId
          stats.failedAttempts++
          await new Promise(resolve => setTimeout(resolve, 100))
        }
        throw new Error(`${label} to ${id} never accepted`)
      })
    )
  const deliveredOnce = async (ids: string[], what: string) => {
    await until(async () => (ids.every(id => fleet.sim.sent.some(m => m.id === id && !m.duplicate && !m.refusedWith)) ? true : undefined), what, {
      timeoutMs: 60_000
    })
    for (const id of ids) assert.equal(fleet.sim.sent.filter(m => m.id === id && !m.duplicate).length, 1, `${id} shown once`)
    const failed = await fleet.query<{ id: string }>(`SELECT id FROM messages WHERE status = 'failed' AND id = ANY($1)`, ids)
    assert.deepEqual(failed, [], 'no send failed')
  }
  const sessionsOf = async (host: FleetHostProcess) => [...(await fleet.owners())].filter(([, owner]) => owner === host.id).map(([id]) => id)

  it('on SIGTERM a host hands its sessions over at once: the others run them and every send still goes out', async () => {
    const leaving = fleet.hosts[1]!
    const its = await sessionsOf(leaving)
    assert.ok(its.length > 0)
    const stats = { failedAttempts: 0 }
    const started = Date.now()
    fleet.signal(leaving, 'SIGTERM')
    const during = sendToAll(its, 'during-handoff', stats)
    await until(async () => ((await allConnected(leaving)) ? true : undefined), 'its sessions connected on the others', { timeoutMs: 30_000 })
    const handoff = Date.now() - started
    // Released, not expired: far sooner than the lease time would allow after a crash.
    assert.ok(handoff < 3_000 + 2_000, `handed over in ${handoff} ms`)
    await deliveredOnce(await during, 'every send made during the hand-over')
    const health = (await fleet.call('GET', '/api/health')).body.data as { hosts: { id: string; status: string }[] }
    assert.equal(health.hosts.find(host => host.id === leaving.id)?.status, 'stopped')
    await fleet.kill(leaving, 'SIGTERM')
    await fleet.startHost(leaving)
  })

  it('a host stalled past its lease (SIGSTOP) is fenced off when it resumes: no duplicate send, the auth state the new owner uses stays good', async () => {
    await until(async () => ((await sessionsOf(fleet.hosts[2]!)).length > 0 ? true : undefined), 'host-3 holds sessions')
    const stalled = fleet.hosts[2]!
    const its = await sessionsOf(stalled)
    const generationsOf = async () =>
      new Map(
        (await fleet.query<{ session_id: string; generation: string }>(`SELECT session_id, generation FROM session_leases`)).map(row => [
          row.session_id,
          Number(row.generation)
        ])
      )
    const before = await generationsOf()
    fleet.signal(stalled, 'SIGSTOP')
    await until(async () => ((await allConnected(stalled)) ? true : undefined), 'its sessions connected on the others', { timeoutMs: 30_000 })
    const stats = { failedAttempts: 0 }
    const whileStalled = await sendToAll(its, 'while-stalled', stats)
    await deliveredOnce(whileStalled, 'every send made while it was stalled')
    fleet.signal(stalled, 'SIGCONT')
    await until(async () => (fleet.logsOf(stalled.id).includes('lease lost to another host') ? true : undefined), 'the resumed host notices', {
      timeoutMs: 15_000
    })
    // Give whatever the resumed host still had in flight the time to try.
    await new Promise(resolve => setTimeout(resolve, 2_000))
    // Every one of them was taken over under a new generation: the stalled host's fence is dead, even
    // where the shares later hand a session back to it (under a newer one still).
    const after = await generationsOf()
    for (const id of its) assert.ok((after.get(id) ?? 0) > (before.get(id) ?? Infinity), `${id} taken over (generation ${before.get(id)} → ${after.get(id)})`)
    assert.ok(await allConnected(), 'no session was pushed off WhatsApp by the resumed host')
    for (const id of whileStalled) assert.equal(fleet.sim.sent.filter(m => m.id === id).length, 1, `${id} sent once, by the new owner only`)
    // The creds and keys the new owners use still log in and send: restart one and send through it.
    const restarted = await fleet.call('PUT', `/api/sessions/${its[0]}/restart`)
    assert.equal(restarted.status, 200)
    await until(async () => ((await allConnected()) ? true : undefined), 'the restarted session connected again without a QR', { timeoutMs: 30_000 })
    await deliveredOnce(await sendToAll([its[0]!], 'after-restart', stats), 'a send through the restarted session')
  })

  it('a fourth host joins and the shares even out, idle sessions moving first', async () => {
    const joining = await fleet.addHost()
    await fleet.restartGateway()
    await until(
      async () => {
        const counts = await held()
        return [...counts.values()].every(n => n <= Math.ceil(SESSIONS / 4)) && (counts.get(joining.id) ?? 0) >= 6 ? counts : undefined
      },
      'shares of at most 8, the newcomer with its part',
      { timeoutMs: 60_000 }
    )
    await until(async () => ((await allConnected()) ? true : undefined), 'every session connected after the moves', { timeoutMs: 30_000 })
    const stats = { failedAttempts: 0 }
    await deliveredOnce(await sendToAll(await sessionsOf(joining), 'on-the-newcomer', stats), 'sends through the moved sessions')
  })
})
