import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { mintToken } from '../../gateway/auth/mint-token.ts'
import { npmStart } from '../support/npm-start.ts'
import type { NpmStart } from '../support/npm-start.ts'
import { WaSim } from '../../session-host/sim/index.ts'
import { recordSensitive } from '../support/log-audit.ts'
import { TEST_SECRETS } from '../support/processes.ts'
import { until } from '../support/until.ts'

describe('npm start supervises the session host and the gateway', () => {
  // The emulator runs here, so it outlives the host that the tests kill.
  const sim = new WaSim({ autoContacts: true })
  let wsUrl: string
  const started: NpmStart[] = []
  const start = async (env: Record<string, string>) => {
    const stack = await npmStart({ WA_MODE: 'live', WA_WEBSOCKET_URL: wsUrl, ...env })
    started.push(stack)
    return stack
  }
  before(async () => {
    wsUrl = await sim.start()
  })
  after(async () => {
    for (const stack of started) await stack.stop()
    await sim.stop()
  })

  describe('when the host is killed', () => {
    const ACCOUNT = '6281600000001'
    let stack: NpmStart
    let token: string
    const get = async (path: string) => {
      const response = await fetch(`${stack.url}${path}`, { headers: { authorization: `Bearer ${token}` } }).catch(() => undefined)
      const body = (await response?.json().catch(() => undefined)) as { data?: { status?: string; qr?: string }; error?: { code: string } } | undefined
      return { status: response?.status ?? 0, body }
    }

    before(async () => {
      token = await mintToken({ secret: TEST_SECRETS.JWT_SECRET, scopes: ['admin'], ttlSeconds: 600 })
      recordSensitive(token)
      stack = await start({})
      // On an empty data folder npm start creates the `default` session once the gateway is up.
      await until(async () => ((await get('/api/sessions/default/status')).status === 200 ? true : undefined), 'the default session', { timeoutMs: 30_000 })
      await sim.linkWithQr(
        async () => {
          const qr = await get('/api/sessions/default/qr')
          return qr.status === 200 ? qr.body?.data?.qr : undefined
        },
        { accountPn: ACCOUNT, timeoutMs: 20_000 }
      )
      await until(async () => ((await get('/api/sessions/default/status')).body?.data?.status === 'connected' ? true : undefined), 'default connected')
    })

    it('restarts it: the gateway answers 502 meanwhile, and the session comes back without a new QR', async () => {
      const hostPid = stack.pidOf('session-host/main.ts')
      const gatewayPid = stack.pidOf('gateway/node.ts')
      assert.ok(hostPid && gatewayPid, 'the host and the gateway run under npm start')
      let registrations = 0
      let logins = 0
      const onRegistration = () => registrations++
      const onLogin = (login: { accountPn: string }) => (login.accountPn === ACCOUNT ? logins++ : undefined)
      sim.on('registration', onRegistration)
      sim.on('login', onLogin)
      try {
        process.kill(hostPid, 'SIGKILL')
        const answers: string[] = []
        await until(
          async () => {
            const { status, body } = await get('/api/sessions/default/status')
            const answer = status === 200 ? `200 ${body?.data?.status}` : `${status} ${body?.error?.code}`
            if (answers.at(-1) !== answer) answers.push(answer)
            return answers.includes('502 HOST_UNAVAILABLE') && answer === '200 connected' ? true : undefined
          },
          'a 502 while the host is down, then the session connected again',
          { timeoutMs: 30_000 }
        ).catch(error => assert.fail(`${error.message}; the gateway answered: ${answers.join(', ')}`))

        assert.ok(answers.indexOf('502 HOST_UNAVAILABLE') < answers.lastIndexOf('200 connected'), answers.join(', '))
        const newHostPid = stack.pidOf('session-host/main.ts')
        assert.ok(newHostPid && newHostPid !== hostPid, 'a new host process runs')
        assert.equal(stack.pidOf('gateway/node.ts'), gatewayPid, 'the gateway was not restarted')
        assert.equal(registrations, 0, 'no new QR: the host restored the linked session')
        assert.ok(logins >= 1, 'the restored session logged in to WhatsApp again')
        assert.ok(stack.running(), 'npm start is still running')
        assert.match(stack.output(), /session host exited \(signal SIGKILL\) after [\d.]+ s; restarting in 0\.5 s/)
      } finally {
        sim.off('registration', onRegistration)
        sim.off('login', onLogin)
      }
    })

    it('stops both processes on SIGTERM', async () => {
      assert.deepEqual(await stack.stop(), { killed: 0 })
      assert.match(stack.output(), /received SIGTERM, stopping/)
    })
  })

  describe('when a process keeps failing right after it starts', () => {
    it('ends npm start with the host’s error when a bad setting stops it at once', async () => {
      // The host refuses a global webhook without a signing secret.
      const stack = await start({ WEBHOOK_URL: 'http://127.0.0.1:9/x' })
      const exit = await stack.exited(20_000)
      assert.ok(exit, 'npm start ended by itself within 20 s')
      assert.notEqual(exit.code, 0)
      assert.equal(exit.signal, null)
      assert.match(
        stack.output(),
        /session host exited \(code 1\) 3 times in a row within 10 s of starting; giving up\. Its last error output:\n {2}\| Invalid session host configuration: WEBHOOK_SECRET: WEBHOOK_URL needs WEBHOOK_SECRET/
      )
      assert.deepEqual(stack.leftovers(), [])
    })

    it('ends npm start, stopping the host, when the gateway’s port is taken', async () => {
      // Another program on the gateway's port, which hangs up on whoever connects.
      const squatter = createServer(socket => socket.destroy())
      await new Promise<void>(resolve => squatter.listen(0, '127.0.0.1', resolve))
      try {
        const stack = await start({ PORT: String((squatter.address() as AddressInfo).port) })
        const exit = await stack.exited(30_000)
        assert.ok(exit, 'npm start ended by itself within 30 s')
        assert.notEqual(exit.code, 0)
        assert.match(
          stack.output(),
          /gateway exited \(code 1\) 3 times in a row within 10 s of starting; giving up\. Its last error output:\n(.*\n)*.*EADDRINUSE/
        )
        assert.match(stack.output(), /session host stopping/)
        assert.deepEqual(stack.leftovers(), [])
      } finally {
        await new Promise(resolve => squatter.close(resolve))
      }
    })
  })
})
