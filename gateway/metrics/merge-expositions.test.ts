import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { labelValue, mergeExpositions } from './merge-expositions.ts'

const hostText = (host: string, sent: number) =>
  [
    '# HELP wagw_messages_total Messages that reached each status',
    '# TYPE wagw_messages_total counter',
    `wagw_messages_total{host="${host}",status="sent"} ${sent}`,
    '',
    '# HELP wagw_message_ack_seconds From accepted to ack',
    '# TYPE wagw_message_ack_seconds histogram',
    `wagw_message_ack_seconds_bucket{le="+Inf",host="${host}"} 1`,
    `wagw_message_ack_seconds_sum{host="${host}"} 0.5`,
    `wagw_message_ack_seconds_count{host="${host}"} 1`,
    ''
  ].join('\n')

describe("merging the hosts' metrics texts", () => {
  it("gives each family's HELP and TYPE once, with every host's samples under it", () => {
    assert.equal(
      mergeExpositions([hostText('a', 1), hostText('b', 2)]),
      [
        '# HELP wagw_messages_total Messages that reached each status',
        '# TYPE wagw_messages_total counter',
        'wagw_messages_total{host="a",status="sent"} 1',
        'wagw_messages_total{host="b",status="sent"} 2',
        '# HELP wagw_message_ack_seconds From accepted to ack',
        '# TYPE wagw_message_ack_seconds histogram',
        'wagw_message_ack_seconds_bucket{le="+Inf",host="a"} 1',
        'wagw_message_ack_seconds_sum{host="a"} 0.5',
        'wagw_message_ack_seconds_count{host="a"} 1',
        'wagw_message_ack_seconds_bucket{le="+Inf",host="b"} 1',
        'wagw_message_ack_seconds_sum{host="b"} 0.5',
        'wagw_message_ack_seconds_count{host="b"} 1',
        ''
      ].join('\n')
    )
  })

  it('keeps a family only one host has, and undeclared samples as families of their own', () => {
    const merged = mergeExpositions(['# TYPE wagw_fleet_leader gauge\nwagw_fleet_leader{host="a"} 1\n', 'loose_metric 3\n'])
    assert.equal(merged, '# TYPE wagw_fleet_leader gauge\nwagw_fleet_leader{host="a"} 1\nloose_metric 3\n')
  })

  it('gives nothing for no text', () => {
    assert.equal(mergeExpositions([]), '')
  })

  it('escapes label values as the text format does', () => {
    assert.equal(labelValue('a"b\\c\nd'), 'a\\"b\\\\c\\nd')
  })
})
