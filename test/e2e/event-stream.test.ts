import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { sseParser } from '../../dashboard/src/sse.ts'
import type { SseEvent } from '../../dashboard/src/sse.ts'
import { startInProcessStack } from '../support/in-process-stack.ts'

const CUSTOMER = '6281234567890'
const KEEPALIVE_MS = 300

type StreamBody = { type: string; timestamp: string; data: { sessionId: string; text?: string; messageId?: string } }

/**
 * GET /api/events through the gateway and the host on real Baileys: what an inbound message, a
 * send and its receipts produce, in the webhook body; resumed with Last-Event-ID; scoped like every
 * route; kept open with comments; ended when the token expires.
 */
describe('the live event stream (GET /api/events)', { timeout: 60_000 }, () => {
  let stack: Awaited<ReturnType<typeof startInProcessStack>>
  let reader: string

  /** Opens the stream and collects its events and raw text as they come. */
  const open = async (token: string, { query = '', lastEventId }: { query?: string; lastEventId?: string } = {}) => {
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'text/event-stream' }
    if (lastEventId !== undefined) headers['last-event-id'] = lastEventId
    const response = await stack.gateway.request(`/api/events${query}`, { headers })
    const body = response.ok ? response.body?.getReader() : undefined
    const events: SseEvent[] = []
    let text = ''
    let ended = false
    const feed = sseParser(event => events.push(event))
    const pump = (async () => {
      if (!body) return
      const decoder = new TextDecoder()
      for (;;) {
        const { value, done } = await body.read()
        if (done) break
        const piece = decoder.decode(value, { stream: true })
        text += piece
        feed(piece)
      }
      ended = true
    })()
    const waitFor = async <T>(find: () => T | undefined, what: string, timeoutMs = 15_000): Promise<T> => {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const found = find()
        if (found !== undefined) return found
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(events.map(e => e.event))}`)
        await new Promise(resolve => setTimeout(resolve, 20))
      }
    }
    return {
      response,
      events,
      text: () => text,
      ended: () => ended,
      bodies: () => events.map(event => JSON.parse(event.data) as StreamBody),
      waitFor,
      /** Hangs up, as a client that goes away does. */
      close: async () => {
        await body?.cancel()
        await pump
      }
    }
  }
  const inbound = (text: string, account = '6281100000021') => stack.sim.injectText(CUSTOMER, account, text)

  before(async () => {
    stack = await startInProcessStack({ gatewayEnv: { EVENT_STREAM_KEEPALIVE_MS: String(KEEPALIVE_MS) } })
    await stack.linkSession('shop-1', '6281100000021')
    await stack.linkSession('shop-2', '6281100000022')
    reader = await stack.token('sessions:read')
  })
  after(() => stack?.stop())

  it('streams each event as it happens, as id, event and the webhook body', async () => {
    const stream = await open(reader)
    assert.equal(stream.response.status, 200)
    assert.match(stream.response.headers.get('content-type') ?? '', /^text\/event-stream/)
    const messageId = await inbound('streamed hello')
    const event = await stream.waitFor(() => stream.events.find(e => e.event === 'message.received' && e.data.includes(messageId)), 'message.received')
    assert.match(event.id ?? '', /^\d+$/)
    const body = JSON.parse(event.data) as StreamBody
    assert.deepEqual(Object.keys(body).sort(), ['data', 'timestamp', 'type'])
    assert.equal(body.type, 'message.received')
    assert.equal(body.data.sessionId, 'shop-1')
    assert.equal(body.data.text, 'streamed hello')
    assert.ok(!Number.isNaN(Date.parse(body.timestamp)))
    // The ids only grow.
    const ids = stream.events.map(e => Number(e.id))
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => a - b)
    )
    await stream.close()
  })

  it('starts at now: events from before a stream opened are not replayed without Last-Event-ID', async () => {
    const before = await inbound('before the stream')
    await new Promise(resolve => setTimeout(resolve, 300))
    const stream = await open(reader)
    const afterId = await inbound('after the stream opened')
    await stream.waitFor(() => stream.events.find(e => e.data.includes(afterId)), 'the new event')
    assert.ok(!stream.events.some(e => e.data.includes(before)), 'the older event is not shown')
    await stream.close()
  })

  it('resumes after Last-Event-ID with exactly the events it missed', async () => {
    const first = await open(reader, { query: '?types=message.received' })
    const seen = await inbound('seen before the break')
    const last = await first.waitFor(() => first.events.find(e => e.data.includes(seen)), 'the first event')
    await first.close()
    const missed = [await inbound('missed one'), await inbound('missed two')]
    const resumed = await open(reader, { query: '?types=message.received', lastEventId: last.id! })
    const later = await inbound('after the reconnect')
    await resumed.waitFor(() => resumed.events.find(e => e.data.includes(later)), 'the event after the reconnect')
    assert.deepEqual(
      resumed.bodies().map(body => body.data.messageId),
      [...missed, later],
      'the missed events in order, then the new one, and nothing from before the break'
    )
    await resumed.close()
  })

  it('shows a token limited to one session only its events, and refuses a session it may not use', async () => {
    const limited = await stack.token('sessions:read', { sessions: ['shop-2'] })
    const stream = await open(limited)
    const hidden = await inbound('to shop-1', '6281100000021')
    const shown = await inbound('to shop-2', '6281100000022')
    await stream.waitFor(() => stream.events.find(e => e.data.includes(shown)), "shop-2's event")
    // shop-1's event was recorded first: had the scope let it through, it would be here already.
    assert.ok(!stream.events.some(e => e.data.includes(hidden)))
    assert.deepEqual(new Set(stream.bodies().map(body => body.data.sessionId)), new Set(['shop-2']))
    await stream.close()
    const refused = await open(limited, { query: '?sessionId=shop-1' })
    assert.equal(refused.response.status, 403)
    assert.equal(((await refused.response.json()) as { error: { code: string } }).error.code, 'SESSION_FORBIDDEN')
  })

  it('asks for a token with sessions:read, and refuses a malformed Last-Event-ID, one ahead of the stream, or a bad type', async () => {
    const cases: [string, { query?: string; lastEventId?: string } | undefined, number, string][] = [
      [await stack.token('otp:send'), undefined, 403, 'INSUFFICIENT_SCOPE'],
      [reader, { lastEventId: 'evt_abc' }, 400, 'VALIDATION_ERROR'],
      [reader, { lastEventId: '99999999' }, 400, 'VALIDATION_ERROR'],
      [reader, { query: '?types=message.sent' }, 400, 'VALIDATION_ERROR']
    ]
    for (const [token, options, status, code] of cases) {
      const stream = await open(token, options)
      assert.equal(stream.response.status, status, JSON.stringify(options))
      assert.equal(((await stream.response.json()) as { error: { code: string } }).error.code, code)
    }
    const anonymous = await stack.gateway.request('/api/events')
    assert.equal(anonymous.status, 401)
  })

  it('writes a keep-alive comment while nothing happens', async () => {
    const stream = await open(reader, { query: '?sessionId=shop-2&types=otp.status' })
    await stream.waitFor(() => ((stream.text().match(/^: keep-alive$/gm) ?? []).length >= 2 ? true : undefined), 'two keep-alives', KEEPALIVE_MS * 20)
    assert.deepEqual(stream.events, [])
    await stream.close()
  })

  it('ends the stream when its token expires', async () => {
    const shortLived = await stack.token('sessions:read', { ttlSeconds: 2 })
    const stream = await open(shortLived)
    assert.equal(stream.response.status, 200)
    await stream.waitFor(() => (stream.ended() ? true : undefined), 'the stream to end', 10_000)
  })
})
