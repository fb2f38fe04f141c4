import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { checkWebhookUrl } from './webhook-url.ts'
import { parseAllowedHosts } from '../../shared/allowed-hosts.ts'

const refused = (url: string, allowed?: string[]) =>
  assert.throws(
    () => checkWebhookUrl(url, parseAllowedHosts((allowed ?? []).join(','))),
    (e: { code?: string }) => e.code === 'URL_NOT_ALLOWED',
    url
  )

describe('webhook URL policy', () => {
  it('accepts public http and https URLs', () => {
    assert.equal(checkWebhookUrl('https://hooks.example.com/wa').hostname, 'hooks.example.com')
    assert.equal(checkWebhookUrl('http://93.184.216.34:8080/x').port, '8080')
    assert.equal(checkWebhookUrl('https://[2606:4700::1111]/x').hostname, '[2606:4700::1111]')
  })

  it('refuses other schemes, credentials and garbage', () => {
    for (const url of ['ftp://example.com/', 'file:///etc/passwd', 'javascript:alert(1)', 'not a url', 'https://user:pw@example.com/']) refused(url)
  })

  it('refuses loopback, private and link-local literals in every spelling', () => {
    for (const url of [
      'http://127.0.0.1/',
      'http://localhost:3000/',
      'http://localhost./',
      'http://api.localhost/',
      'http://2130706433/',
      'http://0x7f.1/',
      'http://10.1.2.3/',
      'http://172.20.0.1/',
      'http://192.168.1.1/',
      'http://169.254.169.254/latest/meta-data',
      'http://100.64.0.1/',
      'http://0.0.0.0/',
      'http://[::1]/',
      'http://[::ffff:127.0.0.1]/',
      'http://[::ffff:169.254.169.254]/',
      'http://[::ffff:0:a00:1]/',
      'http://198.18.0.1/',
      'http://[fd00:ec2::254]/',
      'http://[fd00::1]/',
      'http://[fe80::1]/'
    ])
      refused(url)
  })

  it('lets an allow-listed host through', () => {
    assert.equal(checkWebhookUrl('http://127.0.0.1:4000/hook', parseAllowedHosts('127.0.0.1')).port, '4000')
    // The same format as MEDIA_URL_ALLOW_HOSTS: host:port lets only that port through.
    assert.equal(checkWebhookUrl('http://127.0.0.1:4000/hook', parseAllowedHosts('127.0.0.1:4000')).port, '4000')
    refused('http://127.0.0.1:4001/hook', ['127.0.0.1:4000'])
    assert.throws(() => checkWebhookUrl('http://10.0.0.7/hook'), /WEBHOOK_ALLOWED_HOSTS/)
    refused('http://10.0.0.1/', ['127.0.0.1'])
  })
})
