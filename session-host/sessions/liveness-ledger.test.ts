import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { LivenessLedger } from './liveness-ledger.ts'

const settings = { timeoutMs: 1_000, probeMs: 5_000 }

describe('the liveness watchdog decides', () => {
  it('probes when the oldest send waited half the timeout for its ack, and trips at the timeout while the probe is unanswered, not a moment before', () => {
    const ledger = new LivenessLedger(settings, 0)
    ledger.sent('a', 100)
    ledger.sent('b', 600)
    assert.deepEqual(ledger.verdict(599), { act: 'wait' })
    assert.deepEqual(ledger.verdict(600), { act: 'probe' })
    ledger.probing(600)
    assert.deepEqual(ledger.verdict(1_099), { act: 'wait' })
    assert.deepEqual(ledger.verdict(1_100), { act: 'trip', waited: 'ack', forMs: 1_000 })
  })

  it('leaves a connection that answers alone when one send is never acked', () => {
    const ledger = new LivenessLedger(settings, 0)
    ledger.sent('never-acked', 100)
    assert.equal(ledger.verdict(600).act, 'probe')
    ledger.probing(600)
    ledger.answered(650)
    // Alive after that send: it is the send queue's to fail, and the connection lives on.
    for (let t = 700; t < 20_000; t += 250) assert.notEqual(ledger.verdict(t).act, 'trip', `at ${t}`)
    // A later send that gets no ack, with no sign of life since, is asked about again.
    ledger.sent('later', 20_000)
    ledger.acked('other', 20_100)
    assert.equal(ledger.verdict(20_600).act, 'wait', 'the ack of another send is a sign of life after it')
    ledger.sent('last', 21_000)
    assert.equal(ledger.verdict(21_500).act, 'probe')
    ledger.probing(21_500)
    assert.deepEqual(ledger.verdict(22_000), { act: 'trip', waited: 'ack', forMs: 1_000 })
  })

  it('lets a connection whose sends are acked live on, however long it runs', () => {
    const ledger = new LivenessLedger(settings, 0)
    for (let t = 0; t < 60_000; t += 900) {
      ledger.sent(`m${t}`, t)
      ledger.acked(`m${t}`, t + 800)
      assert.equal(ledger.verdict(t + 850).act, 'wait')
    }
  })

  it('counts an ack that came before the send was noted', () => {
    const ledger = new LivenessLedger(settings, 0)
    ledger.acked('fast', 10)
    ledger.sent('fast', 11)
    assert.equal(ledger.verdict(4_000).act, 'wait')
  })

  it('probes a connection that showed no sign of life for probeMs, once, and trips when the probe goes unanswered', () => {
    const ledger = new LivenessLedger(settings, 0)
    assert.equal(ledger.verdict(4_999).act, 'wait')
    assert.equal(ledger.verdict(5_000).act, 'probe')
    ledger.probing(5_000)
    assert.equal(ledger.verdict(5_500).act, 'wait', 'one probe at a time')
    assert.deepEqual(ledger.verdict(6_000), { act: 'trip', waited: 'probe', forMs: 1_000 })
  })

  it('probes again a probe period after each answer, and an ack counts as a sign of life', () => {
    const ledger = new LivenessLedger(settings, 0)
    ledger.probing(5_000)
    ledger.answered(5_200)
    assert.equal(ledger.verdict(10_199).act, 'wait')
    assert.equal(ledger.verdict(10_200).act, 'probe')
    ledger.sent('m', 10_100)
    assert.equal(ledger.verdict(10_200).act, 'wait', 'a send waiting for its ack already watches the path')
    ledger.acked('m', 10_300)
    assert.equal(ledger.verdict(15_299).act, 'wait')
    assert.equal(ledger.verdict(15_300).act, 'probe')
  })
})
