import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { normalizeHost } from './host-name.ts'

describe('host names as the policy compares them', () => {
  it('drops the brackets of an IPv6 literal, a trailing dot and case', () => {
    assert.equal(normalizeHost('[::1]'), '::1')
    assert.equal(normalizeHost('[FE80::1]'), 'fe80::1')
    assert.equal(normalizeHost('Hooks.Example.COM.'), 'hooks.example.com')
    assert.equal(normalizeHost('127.0.0.1'), '127.0.0.1')
  })
})
