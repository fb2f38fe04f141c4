import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { AuthenticationState, SignalDataSet } from '@whiskeysockets/baileys'
import { mappingsInKeyWrite, tapLidMappings } from './lid-mapping-tap.ts'
import type { LidMapping } from './lid-mappings.ts'

describe("the tap on Baileys' LID mapping store", () => {
  it('reads each pair Baileys stores once, from its forward entry', () => {
    const write = {
      'lid-mapping': { '6281199990001': '100000000000002', '100000000000002_reverse': '6281199990001' },
      session: { '100000000000002.0': Buffer.from('x') }
    } as unknown as SignalDataSet
    assert.deepEqual(mappingsInKeyWrite(write), [{ lid: '100000000000002', phone: '6281199990001' }])
    assert.deepEqual(mappingsInKeyWrite({ 'pre-key': {} }), [])
  })

  it('tells what was learnt only after the write was stored, and nothing when the write fails', async () => {
    const heard: LidMapping[][] = []
    const written: SignalDataSet[] = []
    let refuse = false
    const state = {
      creds: {},
      keys: {
        get: async () => ({}),
        set: async (data: SignalDataSet) => {
          if (refuse) throw new Error('lease lost')
          written.push(data)
          assert.equal(heard.length, written.length - 1, 'heard before it was stored')
        }
      }
    } as unknown as AuthenticationState
    const tapped = tapLidMappings(state, mappings => heard.push(mappings))
    assert.equal(tapped.creds, state.creds, 'Baileys mutates the creds object: it must be the same one')
    await tapped.keys.set({ 'lid-mapping': { '6281199990001': '100000000000002' } })
    await tapped.keys.set({ 'pre-key': {} })
    refuse = true
    await assert.rejects(async () => tapped.keys.set({ 'lid-mapping': { '6281199990003': '100000000000004' } }))
    assert.deepEqual(heard, [[{ lid: '100000000000002', phone: '6281199990001' }]])
  })
})
