import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import pino from 'pino'
import pretty from 'pino-pretty'
import { buildLogger, logFormat, parseLogSettings } from './logger.ts'
import type { LogFormat } from './logger.ts'

const capture = (format: LogFormat) => {
  const chunks: string[] = []
  const destination = new Writable({
    write: (chunk, _encoding, done) => {
      chunks.push(String(chunk))
      done()
    }
  })
  const logger = buildLogger({ pino, pretty }, { name: 'test', level: 'info', format, destination })
  return { logger, text: () => chunks.join('') }
}

describe('logs', () => {
  it('are JSON in production and readable lines otherwise, unless LOG_FORMAT says', () => {
    assert.equal(logFormat({}), 'pretty')
    assert.equal(logFormat({ NODE_ENV: 'development' }), 'pretty')
    assert.equal(logFormat({ NODE_ENV: 'production' }), 'json')
    assert.equal(logFormat({ NODE_ENV: 'production', LOG_FORMAT: 'pretty' }), 'pretty')
    assert.equal(logFormat({ LOG_FORMAT: 'json' }), 'json')
    assert.throws(() => parseLogSettings({ LOG_FORMAT: 'xml' }), /LOG_FORMAT/)
    assert.throws(() => parseLogSettings({ LOG_LEVEL: 'loud' }), /LOG_LEVEL/)
  })

  it('redact secrets and codes in either format', () => {
    for (const format of ['json', 'pretty'] as const) {
      const { logger, text } = capture(format)
      logger.info({ sessionId: 'shop-1', token: 'eyJ-secret-token', otp: { otpCode: '482913' } }, 'otp sent')
      assert.ok(text().includes('shop-1') && text().includes('otp sent'), format)
      assert.ok(!text().includes('eyJ-secret-token') && !text().includes('482913'), `${format}: ${text()}`)
      assert.ok(text().includes('[redacted]'), format)
    }
  })

  it('write one readable line per event in the pretty format, without colour codes off a terminal', () => {
    const { logger, text } = capture('pretty')
    logger.warn('media URLs may reach private hosts')
    assert.match(text(), /^\[\d\d:\d\d:\d\d\.\d{3}\] WARN \(test\): media URLs may reach private hosts\n/)
    // biome-ignore lint/suspicious/noControlCharactersInRegex: an ANSI colour code starts with ESC, which is what the test looks for
    assert.doesNotMatch(text(), /\u001b\[/)
  })
})
