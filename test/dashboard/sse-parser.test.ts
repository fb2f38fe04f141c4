import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { sseParser } from '../../dashboard/src/sse.ts'
import type { SseEvent } from '../../dashboard/src/sse.ts'

/** The dashboard's event monitor reads /api/events in whatever chunks the network delivers. */
describe("the dashboard's event-stream parser", () => {
  const parse = (...chunks: string[]) => {
    const events: SseEvent[] = []
    const feed = sseParser(event => events.push(event))
    for (const chunk of chunks) feed(chunk)
    return events
  }

  it('reads id, event and data, and ends an event at a blank line', () => {
    assert.deepEqual(parse('id: 7\nevent: message.status\ndata: {"type":"message.status"}\n\n'), [
      { id: '7', event: 'message.status', data: '{"type":"message.status"}' }
    ])
  })

  it('joins an event split across chunks, even inside a line and a CRLF', () => {
    assert.deepEqual(parse('id: 1\r', '\nevent: otp.st', 'atus\r\ndata: {"a"', ':1}\r\n', '\r\n'), [{ id: '1', event: 'otp.status', data: '{"a":1}' }])
  })

  it('skips comments (keep-alives), joins data lines, keeps the last id and holds an unfinished event back', () => {
    assert.deepEqual(parse(': ping\n\n', 'id: 2\ndata: a\ndata: b\n\n', 'data: c\n\n', 'data: not yet\n'), [
      { id: '2', event: 'message', data: 'a\nb' },
      { id: '2', event: 'message', data: 'c' }
    ])
  })
})
