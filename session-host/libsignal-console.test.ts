import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import pino from 'pino'
import { containLibsignalConsole } from './libsignal-console.ts'

describe('libsignal console output in the host', () => {
  it('keeps session records (with private keys) out of stdout and logs', () => {
    const lines: string[] = []
    const logger = pino(
      { level: 'debug' },
      new Writable({
        write: (chunk, _enc, done) => {
          lines.push(String(chunk))
          done()
        }
      })
    )
    const written: string[] = []
    const originalWrite = process.stdout.write.bind(process.stdout)
    const originals = { info: console.info, log: console.log, warn: console.warn, error: console.error }
    process.stdout.write = ((chunk: string | Uint8Array) => {
      written.push(String(chunk))
      return true
    }) as typeof process.stdout.write
    try {
      containLibsignalConsole(logger)
      console.info('Closing session:', { currentRatchet: { ephemeralKeyPair: { privKey: Buffer.from('super-secret-private-key') } } })
      console.log('an ordinary line')
    } finally {
      process.stdout.write = originalWrite
      Object.assign(console, originals)
    }
    const everything = [...written, ...lines].join('\n')
    assert.ok(!everything.includes('super-secret-private-key'))
    assert.ok(!everything.includes('privKey'))
    assert.ok(lines.some(line => line.includes('Closing session')))
    assert.ok(written.some(line => line.includes('an ordinary line')))
  })
})
