import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ipFamily, isPublicAddress } from './address-policy.ts'

describe('the address policy of URL fetches', () => {
  it('refuses loopback, private, link-local, metadata and CGNAT IPv4 addresses', () => {
    for (const address of [
      '127.0.0.1',
      '127.8.9.10',
      '0.0.0.0',
      '10.0.0.1',
      '172.16.5.4',
      '172.31.255.255',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '224.0.0.1',
      '255.255.255.255'
    ]) {
      assert.equal(isPublicAddress(address), false, address)
    }
  })

  it('refuses loopback, unique-local, link-local and IPv4-carrying IPv6 forms', () => {
    for (const address of [
      '::1',
      '[::1]',
      '::',
      '0:0:0:0:0:0:0:1',
      'fc00::1',
      'fd00:ec2::254',
      'fe80::1',
      'FE80::1',
      'fe80::1%eth0',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '0:0:0:0:0:ffff:10.0.0.1',
      '::ffff:a9fe:a9fe',
      '::ffff:169.254.169.254',
      '::127.0.0.1',
      '::ffff:0:7f00:1',
      '64:ff9b::7f00:1',
      '2002:7f00:1::1',
      '2001:0:4136:e378:8000:63bf:3fff:fdd2'
    ]) {
      assert.equal(isPublicAddress(address), false, address)
    }
  })

  it('allows public addresses, including IPv4-mapped public ones', () => {
    for (const address of [
      '93.184.216.34',
      '8.8.8.8',
      '172.32.0.1',
      '100.128.0.1',
      '2606:4700:4700::1111',
      '[2606:4700::1111]',
      '2001:4860:4860::8888',
      '::ffff:8.8.8.8',
      '::ffff:808:808'
    ]) {
      assert.equal(isPublicAddress(address), true, address)
    }
  })

  it('refuses anything that is not an IP address', () => {
    for (const address of [
      'localhost',
      'example.com',
      '',
      '1.2.3',
      '0x7f000001',
      '0127.0.0.1',
      '1.2.3.256',
      ':::1',
      '1::2::3',
      '1:2:3:4:5:6:7:8:9',
      '1:2:3:4:5:6:7::8',
      '::ffff:1.2.3',
      '1.2.3.4::',
      'g::1'
    ]) {
      assert.equal(isPublicAddress(address), false, address)
    }
  })

  it('tells addresses from host names', () => {
    assert.equal(ipFamily('93.184.216.34'), 4)
    assert.equal(ipFamily('[::1]'), 6)
    assert.equal(ipFamily('fe80::1%eth0'), 6)
    assert.equal(ipFamily('::ffff:127.0.0.1'), 6)
    for (const name of ['hooks.example.com', 'localhost', '1.2.3', 'cafe']) assert.equal(ipFamily(name), 0, name)
  })
})
