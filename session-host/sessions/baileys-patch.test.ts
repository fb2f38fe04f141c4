import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { AsyncLocalStorage } from 'node:async_hooks'
import { addTransactionCapability, DisconnectReason, promiseTimeout } from '@whiskeysockets/baileys'
import type { SignalDataSet, SignalKeyStore } from '@whiskeysockets/baileys'
import { WaSim } from '../sim/wa-sim.ts'
import { BaileysDriver } from '../sim/testing/baileys-driver.ts'

const ROOT = join(import.meta.dirname, '..', '..')

/** A key store in memory with Baileys' transactions on top; `written` is what each commit stored. */
const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, child: () => silent, level: 'silent' }
const memoryStore = () => {
  const written: SignalDataSet[] = []
  const store: SignalKeyStore = { get: async () => ({}), set: async data => void written.push(data) }
  return { written, keys: addTransactionCapability(store, silent as never, { maxCommitRetries: 1, delayBetweenTriesMs: 1 }) }
}
const installedVersion = (): string => {
  const require = createRequire(import.meta.url)
  const manifest = join(require.resolve('@whiskeysockets/baileys').split('/lib/')[0]!, 'package.json')
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version
}

// If `npm ci` did not apply patches/ (or Baileys changed under it), these fail by name rather
// than as a link that silently never completes.
describe("the project's Baileys patch (patches/, applied by npm ci's postinstall)", () => {
  const sim = new WaSim({ ackTimeoutMs: 1_000 })
  let url: string
  before(async () => {
    url = await sim.start()
  })
  after(() => sim.stop())

  it('is written for the Baileys version that is installed', () => {
    const patches = readdirSync(join(ROOT, 'patches')).filter(name => name.startsWith('@whiskeysockets+baileys+'))
    assert.deepEqual(patches, [`@whiskeysockets+baileys+${installedVersion()}.patch`])
  })

  it('is applied: Baileys acks a notification before login, skips a refresh_code frame, and reports a refused companion_finish', async () => {
    const byQr = new BaileysDriver({ url, sim, handlers: 'none' }).start()
    const byCode = new BaileysDriver({ url, sim, handlers: 'none' }).start()
    try {
      // Unpatched, the ack throws on creds.me.id and the server never hears back.
      const qr = await byQr.waitUntil(() => byQr.qrs[0], 'a QR')
      assert.deepEqual(await sim.scanQr(qr, { accountPn: '15550090001' }), { kind: 'refresh-requested' })

      await byCode.waitUntil(() => byCode.qrs[0], 'a QR')
      const code = await byCode.socket.requestPairingCode('15550090002')
      // Unpatched, Baileys answers the refresh_code frame with companion_finish and the server drops the request.
      sim.refuseNextIq('md/set/link_code_companion_reg/companion_finish', 500, 'internal-server-error')
      await assert.rejects(sim.enterPairingCode('15550090002', code), /companion_finish refused with 500/)
      const refused = await byCode.waitUntil(
        () =>
          (byCode.events['connection.update'] as ({ pairingCodeRefused?: unknown } | undefined)[] | undefined)?.find(u => u?.pairingCodeRefused)
            ?.pairingCodeRefused,
        'the refusal on connection.update'
      )
      assert.deepEqual(refused, { code: 500, text: 'internal-server-error' })
    } finally {
      await byQr.stop()
      await byCode.stop()
    }
  })

  it('formats a timeout’s caller stack only when the error is read, and still gives it then', async () => {
    let formatted = 0
    const original = Error.prepareStackTrace
    Error.prepareStackTrace = (error, frames) => {
      formatted++
      return original ? original(error, frames) : `${error}\n${frames.map(frame => `    at ${frame}`).join('\n')}`
    }
    try {
      assert.equal(await promiseTimeout<number>(1_000, resolve => resolve(7)), 7)
      assert.equal(formatted, 0, 'a query answered in time formats no stack')
      const refused = (await promiseTimeout(5, () => {}).then(
        () => undefined,
        (error: unknown) => error
      )) as { output?: { statusCode: number }; data?: { stack?: string } } | undefined
      assert.equal(refused?.output?.statusCode, DisconnectReason.timedOut)
      assert.match(refused?.data?.stack ?? '', /baileys-patch\.test/)
    } finally {
      Error.prepareStackTrace = original
    }
  })

  it('gives every key store its transactions through one AsyncLocalStorage, each store still in its own transaction', async () => {
    // Node 20 visits every enabled AsyncLocalStorage on each promise created: one per session made
    // each promise of a host with 500 sessions cost 500 visits.
    const used = new Set<AsyncLocalStorage<unknown>>()
    const originalRun = AsyncLocalStorage.prototype.run
    AsyncLocalStorage.prototype.run = function (this: AsyncLocalStorage<unknown>, ...args: Parameters<typeof originalRun>) {
      used.add(this)
      return originalRun.apply(this, args)
    } as typeof originalRun
    try {
      const [first, second] = [memoryStore(), memoryStore()]
      const others = Array.from({ length: 8 }, memoryStore)
      for (const other of others)
        await other.keys.transaction(async () => {
          await other.keys.set({ session: { a: new Uint8Array([1]) } })
        }, 'k')
      // The second store's transaction inside the first one's is its own: its key lands in its store.
      await first.keys.transaction(async () => {
        await first.keys.set({ session: { one: new Uint8Array([1]) } })
        assert.equal(second.keys.isInTransaction(), false)
        await second.keys.transaction(async () => {
          await second.keys.set({ session: { two: new Uint8Array([2]) } })
          assert.deepEqual(Object.keys(await first.keys.get('session', ['one', 'two'])), ['one'])
          assert.deepEqual(Object.keys(await second.keys.get('session', ['one', 'two'])), ['two'])
        }, 'k')
        assert.deepEqual(
          second.written.map(data => Object.keys(data.session ?? {})),
          [['two']],
          'committed when its own transaction ended'
        )
        assert.equal(first.written.length, 0)
      }, 'k')
      assert.deepEqual(
        first.written.map(data => Object.keys(data.session ?? {})),
        [['one']]
      )
      assert.equal(used.size, 1, `${used.size} AsyncLocalStorage instances for 10 key stores`)
    } finally {
      AsyncLocalStorage.prototype.run = originalRun
    }
  })

  it('disables that AsyncLocalStorage whenever no key transaction runs, and never while one does', async () => {
    // An enabled AsyncLocalStorage costs every promise of the process, in a context or not.
    const states: boolean[] = []
    let storage: AsyncLocalStorage<unknown> | undefined
    const [originalRun, originalDisable] = [AsyncLocalStorage.prototype.run, AsyncLocalStorage.prototype.disable]
    AsyncLocalStorage.prototype.run = function (this: AsyncLocalStorage<unknown>, ...args: Parameters<typeof originalRun>) {
      storage = this
      states.push(true)
      return originalRun.apply(this, args)
    } as typeof originalRun
    AsyncLocalStorage.prototype.disable = function (this: AsyncLocalStorage<unknown>) {
      if (this === storage) states.push(false)
      return originalDisable.call(this)
    }
    try {
      const [first, second, third] = [memoryStore(), memoryStore(), memoryStore()]
      let release = () => {}
      const held = new Promise<void>(resolve => (release = resolve))
      // Two transactions at once, and one inside another: each stays in its transaction after the others end.
      const outer = first.keys.transaction(async () => {
        await held
        assert.equal(first.keys.isInTransaction(), true, 'still in its transaction after the others ended')
        await first.keys.set({ session: { late: new Uint8Array([1]) } })
        assert.equal(first.written.length, 0, 'a write inside it waits for its commit')
      }, 'k')
      await second.keys.transaction(async () => {
        await third.keys.transaction(async () => {
          await third.keys.set({ session: { inner: new Uint8Array([3]) } })
        }, 'k')
        assert.equal(second.keys.isInTransaction(), true)
      }, 'k')
      assert.equal(states.at(-1), true, 'not disabled while the first transaction runs')
      release()
      await outer
      assert.deepEqual(
        first.written.map(data => Object.keys(data.session ?? {})),
        [['late']]
      )
      assert.deepEqual(states, [true, true, true, false], 'enabled by each transaction, disabled once, when the last one ended')
      assert.equal(first.keys.isInTransaction(), false)
    } finally {
      AsyncLocalStorage.prototype.run = originalRun
      AsyncLocalStorage.prototype.disable = originalDisable
    }
  })
})
