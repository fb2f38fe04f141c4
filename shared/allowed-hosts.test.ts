import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { isAllowedHost, parseAllowedHosts } from './allowed-hosts.ts'

describe('the allow-list format both settings share', () => {
  it('reads bare hosts (any port) and host:port entries (that port), separated by commas or spaces', () => {
    const allowed = parseAllowedHosts('127.0.0.1, files.test:8443  [::1]:9000 Hooks.Internal.')
    assert.deepEqual(allowed, [{ host: '127.0.0.1' }, { host: 'files.test', port: '8443' }, { host: '::1', port: '9000' }, { host: 'hooks.internal' }])
    assert.equal(isAllowedHost(allowed, '127.0.0.1', '3000'), true)
    assert.equal(isAllowedHost(allowed, 'files.test', '8443'), true)
    assert.equal(isAllowedHost(allowed, 'files.test', '80'), false)
    assert.equal(isAllowedHost(allowed, '[::1]', '9000'), true)
    assert.equal(isAllowedHost(allowed, 'HOOKS.internal', '443'), true)
    assert.equal(isAllowedHost(allowed, '10.0.0.1', '80'), false)
    // A DNS lookup knows no port: a host:port entry still names the host.
    assert.equal(isAllowedHost(allowed, 'files.test'), true)
    assert.deepEqual(parseAllowedHosts(''), [])
  })
})
