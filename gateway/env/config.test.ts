import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { parseGatewayConfig } from './config.ts'

const base = { HOST_URL: 'http://127.0.0.1:3001', INTERNAL_SECRET: 'i'.repeat(32), OTP_PEPPER: 'p'.repeat(32) }

describe('gateway configuration', () => {
  it('applies the documented defaults', () => {
    const config = parseGatewayConfig({ ...base, JWT_SECRET: 's'.repeat(32) })
    assert.equal(config.DEFAULT_COUNTRY, 'ID')
    assert.equal(config.WA_MODE, 'live')
  })

  it('names the bad variable and never echoes its value', () => {
    assert.throws(
      () => parseGatewayConfig({ ...base, JWT_SECRET: 'short-secret' }),
      (error: Error) => error.message.includes('JWT_SECRET') && !error.message.includes('short-secret')
    )
    assert.throws(() => parseGatewayConfig({ ...base }), /JWT_SECRET/)
    assert.throws(() => parseGatewayConfig({ ...base, JWT_SECRET: 's'.repeat(32), JWT_JWKS_URL: 'https://id.example/jwks' }), /exactly one/)
    assert.throws(() => parseGatewayConfig({ ...base, JWT_JWKS_URL: 'http://id.example/jwks' }), /JWT_JWKS_URL/)
    assert.throws(() => parseGatewayConfig({ ...base, JWT_SECRET: 's'.repeat(32), WA_MODE: 'prod' }), /WA_MODE/)
  })

  it('accepts a JWKS URL over https, or http on loopback', () => {
    assert.equal(parseGatewayConfig({ ...base, JWT_JWKS_URL: 'https://id.example/jwks' }).JWT_JWKS_URL, 'https://id.example/jwks')
    assert.ok(parseGatewayConfig({ ...base, JWT_JWKS_URL: 'http://127.0.0.1:9000/jwks' }).JWT_JWKS_URL)
  })
})
