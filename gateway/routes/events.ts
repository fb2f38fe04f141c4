import { createRoute, z } from '@hono/zod-openapi'
import { streamSSE } from 'hono/streaming'
import { EVENT_ROUTES, EventTypesParam, StreamPosition } from '../../shared/host-api/events.ts'
import type { EventReadAnswer } from '../../shared/host-api/events.ts'
import { listQueryString } from '../../shared/host-api/list-page.ts'
import { WEBHOOK_EVENT_TYPES } from '../../shared/webhook-events.ts'
import { appError } from '../../shared/errors.ts'
import { requireScope } from '../auth/scopes.ts'
import type { RouteGroupApp } from '../env/gateway-env.ts'
import { SessionFilter, sessionScope } from '../http/list-query.ts'
import { errorResponses } from '../http/schemas.ts'

/** A stream ends after this long at most (or when its token expires); the client reconnects with Last-Event-ID. */
export const EVENT_STREAM_MAX_MS = 60 * 60 * 1000
/** How long the stream waits before asking again when the host did not answer. */
const HOST_RETRY_MS = 2_000

const route = createRoute({
  method: 'get',
  path: '/api/events',
  tags: ['Events'],
  summary: 'Live events of the sessions the token may see, as Server-Sent Events',
  description: [
    'The events webhooks carry, as they happen: each is `id: <place>`, `event: <type>` and `data: {"type","timestamp","data"}` (the webhook body).',
    'Send the bearer token in the Authorization header (read the stream with a streaming fetch; EventSource cannot send it). To resume after a break, send the last `id` seen as `Last-Event-ID`: the events after it follow, kept for a day.',
    'A comment line comes when nothing happened for a while, so proxies keep the connection. The stream ends when the token expires, or after an hour: reconnect.'
  ].join(' '),
  security: [{ bearerAuth: [] }],
  request: {
    query: z.object({
      sessionId: SessionFilter,
      types: EventTypesParam.optional().openapi({
        type: 'string',
        description: `Only these event types, comma-separated (${WEBHOOK_EVENT_TYPES.join(', ')})`,
        example: 'message.status,otp.status'
      })
    }),
    headers: z.object({
      'last-event-id': StreamPosition.optional().openapi({ type: 'string', description: 'The last event id seen: resume after it' })
    })
  },
  responses: {
    200: { description: 'An event stream (text/event-stream)', content: { 'text/event-stream': { schema: z.string() } } },
    ...errorResponses(404)
  }
})

/**
 * GET /api/events: the gateway holds the stream and long-polls a host for what comes after the last
 * place it sent, so a host that goes away costs a retry, not the stream, and any host can answer.
 */
export const registerEvents = (app: RouteGroupApp) =>
  app.openapi(route, async c => {
    const { principal, deps } = c.var
    requireScope(principal, 'sessions:read')
    const { sessionId, types } = c.req.valid('query')
    const lastEventId = c.req.valid('header')['last-event-id']
    const filter = { ...sessionScope(principal, sessionId), ...(types ? { types } : {}) }
    const read = (query: Record<string, string | number>): Promise<EventReadAnswer> =>
      deps.host.call(EVENT_ROUTES.read, { query: listQueryString({ ...filter, ...query }) })
    // Where to start is settled before the stream opens, so a host that is down is a plain 502, and
    // an id ahead of the newest event (not one this stream sent) a 400 rather than a silent stream:
    // the events to come would be placed below it and never shown.
    const head = (await read({})).next
    if (lastEventId !== undefined && lastEventId > head)
      throw appError('VALIDATION_ERROR', 'Request validation failed', {
        fields: [{ path: 'last-event-id', message: `is ahead of this stream, whose newest event is ${head}: reconnect without it` }]
      })
    let after = lastEventId ?? head
    const endsAt = Math.min(deps.now() + EVENT_STREAM_MAX_MS, principal.expiresAt ?? Number.POSITIVE_INFINITY)
    const keepAliveMs = deps.config.EVENT_STREAM_KEEPALIVE_MS
    c.header('X-Accel-Buffering', 'no')
    return streamSSE(c, async stream => {
      await stream.write(`retry: ${HOST_RETRY_MS}\n: stream open\n\n`)
      while (!stream.aborted && deps.now() < endsAt) {
        let answer: EventReadAnswer
        try {
          answer = await read({ after: String(after), waitMs: Math.max(0, Math.min(keepAliveMs, endsAt - deps.now())) })
        } catch {
          await stream.write(': waiting for a session host\n\n')
          await stream.sleep(HOST_RETRY_MS)
          continue
        }
        for (const { position, type, timestamp, data } of answer.events) {
          await stream.writeSSE({ id: String(position), event: type, data: JSON.stringify({ type, timestamp, data }) })
        }
        after = answer.next
        if (answer.events.length === 0) await stream.write(': keep-alive\n\n')
      }
    })
  })
