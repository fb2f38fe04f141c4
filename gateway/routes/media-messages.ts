import { createRoute, z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import { appError } from '../../shared/errors.ts'
import { MAX_MEDIA_BYTES, MEDIA_KINDS, MULTIPART_OVERHEAD_BYTES } from '../../shared/media.ts'
import type { MediaKind } from '../../shared/media.ts'
import { requireScope, requireSession } from '../auth/scopes.ts'
import { idempotencyKeyHeader, idempotencyOf } from '../http/idempotency.ts'
import type { RouteGroupApp, GatewayEnv } from '../env/gateway-env.ts'
import { envelope, errorResponses, json, Recipient, SentMessage, SessionIdParam } from '../http/schemas.ts'
import { MESSAGE_ROUTES } from '../../shared/host-api/messages.ts'

/** The largest multipart body a media route lets through: the file cap plus room for the fields. */
export const MAX_MULTIPART_BYTES = MAX_MEDIA_BYTES + MULTIPART_OVERHEAD_BYTES

const mediaFields = (kind: MediaKind) =>
  z.object({
    to: Recipient,
    caption: z.string().max(4096).optional(),
    fileName: z.string().min(1).max(255).optional(),
    mimetype: z.string().min(3).max(128).optional(),
    ...(kind === 'audio' ? { ptt: z.boolean().optional().openapi({ description: 'Send as a voice note' }) } : {})
  })

const MediaUrl = z
  .string()
  .min(8)
  .max(2048)
  .openapi({ example: 'https://example.com/invoice.pdf', description: 'Fetched by the host: http(s) only, public addresses only, up to 50 MB' })

const routeOf = (kind: MediaKind) =>
  createRoute({
    method: 'post',
    path: `/api/messages/{sessionId}/${kind}`,
    tags: ['Messages'],
    summary: `Send ${kind === 'audio' ? 'audio or a voice note' : `a${kind === 'image' ? 'n' : ''} ${kind}`} by upload or URL`,
    description: `Multipart upload with the file in the \`${kind}\` field, or JSON with a \`url\`. Up to 50 MB; the type is checked from the content.`,
    security: [{ bearerAuth: [] }],
    request: {
      params: z.object({ sessionId: SessionIdParam }),
      body: {
        required: true,
        content: {
          'application/json': { schema: mediaFields(kind).extend({ url: MediaUrl }) },
          'multipart/form-data': {
            schema: mediaFields(kind).extend({ [kind]: z.string().openapi({ type: 'string', format: 'binary' }) })
          }
        }
      }
    },
    responses: { 200: json(envelope(SentMessage), 'Sent'), ...errorResponses(404, 413, 415, 422) }
  })

type Sent = z.infer<typeof SentMessage>

/**
 * Counts the bytes of a body as they pass, and fails the stream past `max`: a chunked upload has
 * no Content-Length to check up front, and Hono's bodyLimit would hold such a body in memory.
 */
const capStream = (body: ReadableStream<Uint8Array>, max: number) => {
  let seen = 0
  let exceeded = false
  const stream = body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.byteLength
        if (seen > max) {
          exceeded = true
          controller.error(new Error('upload too large'))
          return
        }
        controller.enqueue(chunk)
      }
    })
  )
  return { stream, exceeded: () => exceeded }
}

const tooLarge = () => appError('PAYLOAD_TOO_LARGE', `The file exceeds ${MAX_MEDIA_BYTES} bytes`, { maxBytes: MAX_MEDIA_BYTES })

const sendMedia = (kind: MediaKind) => async (c: Context<GatewayEnv>) => {
  const sessionId = SessionIdParam.parse(c.req.param('sessionId'))
  requireScope(c.var.principal, 'messages:send')
  requireSession(c.var.principal, sessionId)
  const { deps } = c.var
  const contentType = c.req.header('content-type') ?? ''
  let sent: Sent
  if (/^multipart\/form-data/i.test(contentType)) {
    // The gateway never parses the upload: it streams it to the host, which reads the fields and
    // spools the file to disk. The host normalises `to` with this gateway's default country.
    const declared = c.req.header('content-length')
    const contentLength = declared !== undefined && /^\d+$/.test(declared) ? Number(declared) : undefined
    if (contentLength !== undefined && contentLength > MAX_MULTIPART_BYTES) throw tooLarge()
    // Every check on the headers comes before the body is taken: a body taken and left unread
    // cannot be drained, and the server then closes the connection under the client's next request.
    const key = idempotencyKeyHeader(c)
    const body = c.req.raw.body
    if (!body) throw appError('VALIDATION_ERROR', 'The upload is empty', { fields: [{ path: kind, message: 'Required' }] })
    const capped = capStream(body, MAX_MULTIPART_BYTES)
    const query = { country: deps.config.DEFAULT_COUNTRY, ...(key ? { idempotencyKey: key } : {}) }
    try {
      sent = await deps.host.stream(MESSAGE_ROUTES.uploadMedia, { sessionId, kind, query }, { stream: capped.stream, contentType, contentLength })
    } catch (error) {
      if (capped.exceeded()) throw tooLarge()
      throw error
    }
  } else if (/^application\/json/i.test(contentType)) {
    let raw: unknown
    try {
      raw = await c.req.json()
    } catch {
      throw appError('INVALID_JSON', 'Request body is not valid JSON')
    }
    const body = mediaFields(kind).extend({ url: MediaUrl }).parse(raw)
    // `ptt` exists for audio only, so the schema built per kind types it loosely.
    const { to, ptt, ...fields } = body
    const idempotency = await idempotencyOf(c, body)
    sent = await deps.host.call(
      MESSAGE_ROUTES.sendMediaByUrl,
      { sessionId, kind },
      { ...fields, ...(typeof ptt === 'boolean' ? { ptt } : {}), jid: deps.phone(to).jid, ...(idempotency ? { idempotency } : {}) }
    )
  } else {
    throw appError('UNSUPPORTED_MEDIA_TYPE', 'Send multipart/form-data with the file, or JSON with a url')
  }
  return c.json({ success: true as const, message: 'Message accepted', data: sent }, 200)
}

/**
 * Media routes are documented through the OpenAPI registry but handled by plain handlers: the
 * generated validators would parse (and so buffer) a multipart body.
 */
export const registerMediaMessages = (app: RouteGroupApp) => {
  for (const kind of MEDIA_KINDS) {
    app.openAPIRegistry.registerPath(routeOf(kind))
    app.post(`/api/messages/:sessionId/${kind}`, sendMedia(kind))
  }
  return app
}
