import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'

type RawKeyPair = { pubKey: Buffer; privKey: Buffer }
type X25519Native = { deriveKeyPair(): RawKeyPair | null; supplyKeyPairs(take: (() => RawKeyPair | undefined) | null): void }

const require = createRequire(import.meta.url)
const X25519_NATIVE = require.resolve('libsignal/src/x25519-native.js')
const x25519 = require(X25519_NATIVE) as X25519Native

/** The worker: asked for a count, it answers that many pairs as private‖public, 64 bytes each. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const x25519 = require(workerData.x25519Native)
parentPort.on('message', count => {
  const pairs = new Uint8Array(count * 64)
  for (let i = 0; i < count; i++) {
    const pair = x25519.deriveKeyPair()
    if (!pair) return parentPort.postMessage(null)
    pairs.set(pair.privKey, i * 64)
    pairs.set(pair.pubKey, i * 64 + 32)
  }
  parentPort.postMessage(pairs, [pairs.buffer])
})`

export type KeyPairSupply = {
  /** Pairs made and not yet handed out. */
  ready(): number
  /** Pairs handed out from the supply, and pairs the thread had to make itself meanwhile. */
  counts(): { supplied: number; missed: number }
  /** Stops the worker and zeroes the pairs not handed out; key pairs are made on the thread again. */
  stop(): Promise<void>
}

/**
 * Makes Signal key pairs on a worker thread ahead of need, and has libsignal take them from here
 * (patches/libsignal+6.0.0.patch, `supplyKeyPairs`). A device that links takes 812 pre-keys at
 * once, about 45 ms of OpenSSL on the event loop, which held up every other session's sends and
 * bound how fast a host links on one core. Each pair is handed out once and its bytes zeroed here
 * when it is; when none is ready (a burst, or the worker failed), libsignal makes one itself as
 * before, so a key is never waited for. Process-wide, like libsignal's own state: the process owner
 * (main.ts) starts it once.
 */
export const startKeyPairSupply = ({ target = 4096, batch = 512 }: { target?: number; batch?: number } = {}): KeyPairSupply => {
  // Plain CommonJS: the worker needs none of the process's loaders (tsx).
  const worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [], workerData: { x25519Native: X25519_NATIVE } })
  worker.unref()
  const batches: Uint8Array[] = []
  let offset = 0
  let ready = 0
  let asked = 0
  let working = true
  let supplied = 0
  let missed = 0

  const askForMore = () => {
    while (working && ready + asked < target) {
      worker.postMessage(batch)
      asked += batch
    }
  }
  worker.on('message', (pairs: Uint8Array | null) => {
    asked -= batch
    if (!pairs || !working) {
      working = false
      pairs?.fill(0)
      return
    }
    batches.push(pairs)
    ready += pairs.length / 64
    askForMore()
  })
  worker.on('error', () => {
    working = false
  })

  const take = (): RawKeyPair | undefined => {
    const head = batches[0]
    if (!head) {
      missed++
      askForMore()
      return undefined
    }
    const privKey = Buffer.from(head.subarray(offset, offset + 32))
    const pubKey = Buffer.from(head.subarray(offset + 32, offset + 64))
    head.fill(0, offset, offset + 64)
    offset += 64
    ready--
    supplied++
    if (offset === head.length) {
      batches.shift()
      offset = 0
    }
    askForMore()
    return { pubKey, privKey }
  }
  x25519.supplyKeyPairs(take)
  askForMore()

  return {
    ready: () => ready,
    counts: () => ({ supplied, missed }),
    stop: async () => {
      working = false
      x25519.supplyKeyPairs(null)
      for (const pairs of batches) pairs.fill(0)
      batches.length = 0
      ready = 0
      await worker.terminate()
    }
  }
}
