import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { parseAllowedHosts } from './allowed-hosts.ts'
import { checkUrl, isAllowedAddress } from './url-policy.ts'

const reasonOf = (url: string, allowed = '') => {
  const checked = checkUrl(url, parseAllowedHosts(allowed))
  return checked.ok ? 'ok' : checked.reason
}

describe('the URL policy of media and webhook URLs', () => {
  it('passes public http(s) URLs with their host as the allow-lists spell it and their port', () => {
    const checked = checkUrl('https://[2606:4700::1111]/x', [])
    assert.ok(checked.ok)
    assert.deepEqual({ host: checked.host, port: checked.port }, { host: '2606:4700::1111', port: '443' })
    const named = checkUrl('http://Hooks.Example.com.:8080/wa', [])
    assert.ok(named.ok)
    assert.deepEqual({ host: named.host, port: named.port }, { host: 'hooks.example.com', port: '8080' })
  })

  it('says why it refuses a URL', () => {
    assert.equal(reasonOf('not a url'), 'invalid_url')
    assert.equal(reasonOf('ftp://example.com/'), 'scheme')
    assert.equal(reasonOf('https://user:pw@example.com/'), 'credentials')
    for (const url of [
      'http://127.0.0.1/',
      'http://2130706433/',
      'http://[::ffff:127.0.0.1]/',
      'http://169.254.169.254/',
      'http://localhost./',
      'http://api.LOCALHOST/'
    ])
      assert.equal(reasonOf(url), 'private_address', url)
  })

  it('lets an allow-listed host through, on its port when the entry names one', () => {
    assert.equal(reasonOf('http://127.0.0.1:4000/', '127.0.0.1'), 'ok')
    assert.equal(reasonOf('http://127.0.0.1:4000/', '127.0.0.1:4000'), 'ok')
    assert.equal(reasonOf('http://127.0.0.1:4001/', '127.0.0.1:4000'), 'private_address')
    assert.equal(reasonOf('http://[::1]:9000/', '[::1]:9000'), 'ok')
    assert.equal(reasonOf('http://localhost:3000/', 'LOCALHOST.'), 'ok')
  })

  it('judges each address a name resolved to, unless the name is allow-listed', () => {
    const allowedHosts = parseAllowedHosts('files.test:8443')
    assert.equal(isAllowedAddress('93.184.216.34', { host: 'example.com', allowedHosts }), true)
    assert.equal(isAllowedAddress('10.0.0.1', { host: 'example.com', allowedHosts }), false)
    assert.equal(isAllowedAddress('::ffff:a9fe:a9fe', { host: 'example.com', allowedHosts }), false)
    assert.equal(isAllowedAddress('10.0.0.1', { host: 'files.test', port: '8443', allowedHosts }), true)
    assert.equal(isAllowedAddress('10.0.0.1', { host: 'files.test', port: '80', allowedHosts }), false)
  })
})
