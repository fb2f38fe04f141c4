import { createHash, randomUUID } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import type { ReadableStream as NodeWebStream } from 'node:stream/web'
import type { AnyMessageContent } from '@whiskeysockets/baileys'
import { Hono } from 'hono'
import { z } from 'zod'
import { appError, ok } from '../../shared/errors.ts'
import { MAX_MEDIA_BYTES, MEDIA_KINDS } from '../../shared/media.ts'
import type { MediaKind } from '../../shared/media.ts'
import { STREAM_LENGTH_HEADER } from '../../shared/internal-signing.ts'
import { requireJid } from '../../shared/phone-max.ts'
import { checkContent } from '../media/content-check.ts'
import { fetchToFile } from '../media/safe-fetch.ts'
import type { FetchPolicy } from '../media/safe-fetch.ts'
import { receiveUpload } from '../media/multipart-upload.ts'
import type { UploadSpool } from '../media/upload-spool.ts'
import { fillPattern } from '../../shared/host-api/host-route.ts'
import { MediaFields, MESSAGE_ROUTES, SendMediaByUrlRequest } from '../../shared/host-api/messages.ts'
import { checkRecipient } from '../messages/recipient-check.ts'
import type { RecipientCheck } from '../messages/recipient-check.ts'
import { acceptSend } from '../outbox/accept-send.ts'
import type { AcceptDeps } from '../outbox/accept-send.ts'
import { moveFile, fileDigest } from '../media/outbox-files.ts'
import { jsonBody } from '../../shared/json-body.ts'
import { SESSION_ID_PATTERN, SessionId } from '../../shared/ids.ts'

export type MediaRoutesDeps = AcceptDeps & {
  recipients: RecipientCheck
  /** Where accepted media waits, across restarts, until its message is sent or has failed. */
  outboxDir: string
  spool: UploadSpool
  fetchPolicy?: FetchPolicy
  maxBytes?: number
}

// Multipart fields arrive as text; `ptt` as "true"/"false". The original API's callers name the
// recipient `phone` and a document's name `filename`.
const FormFields = z.preprocess(
  (fields: Record<string, string>) => ({ ...fields, to: fields.to ?? fields.phone, fileName: fields.fileName ?? fields.filename }),
  MediaFields.extend({
    to: z.string().min(3).max(64),
    ptt: z
      .enum(['true', 'false'])
      .transform(value => value === 'true')
      .optional()
  })
)

/** The upload routes are the only ones that take a body signed as an unsigned stream. */
export const UPLOAD_PATH = new RegExp(
  `^${MESSAGE_ROUTES.uploadMedia.pattern.replace(':sessionId', SESSION_ID_PATTERN.source.slice(1, -1)).replace(':kind', `(${MEDIA_KINDS.join('|')})`)}$`
)

type Media = { path: string; mimetype: string; fileName: string | undefined; fields: z.infer<typeof MediaFields> }

const content = (kind: MediaKind, { path, mimetype, fileName, fields }: Media): AnyMessageContent => {
  const media = { url: path }
  if (kind === 'image') return { image: media, mimetype, ...(fields.caption ? { caption: fields.caption } : {}) }
  if (kind === 'video') return { video: media, mimetype, ...(fields.caption ? { caption: fields.caption } : {}) }
  if (kind === 'audio') return { audio: media, mimetype, ptt: fields.ptt ?? false }
  return { document: media, mimetype, fileName: fileName ?? 'file', ...(fields.caption ? { caption: fields.caption } : {}) }
}

/**
 * Image, video, audio and document messages, from a multipart upload streamed in from the
 * gateway or from a URL the host fetches. Either way the file waits in the spool folder only
 * while it is checked and sent, and is removed afterwards on every path.
 */
export const mediaMessageRoutes = (deps: MediaRoutesDeps) => {
  const { sessions, spool, fetchPolicy, maxBytes = MAX_MEDIA_BYTES, outboxDir } = deps
  mkdirSync(outboxDir, { recursive: true })
  const app = new Hono()
  /** Moves the checked file out of the spool into the outbox folder and queues its message. */
  const send = async (sessionId: string, jid: string, kind: MediaKind, media: Media, idempotencyKey: string | undefined) => {
    const hash = idempotencyKey
      ? createHash('sha256')
          .update(JSON.stringify([kind, jid, media.fields, media.mimetype, media.fileName]))
          .update(await fileDigest(media.path))
          .digest('hex')
      : undefined
    const durable = join(outboxDir, randomUUID())
    await moveFile(media.path, durable)
    try {
      const sent = await acceptSend(deps, {
        sessionId,
        jid,
        kind,
        outgoing: { content: content(kind, { ...media, path: durable }) },
        files: [durable],
        ...(idempotencyKey && hash ? { idempotency: { key: idempotencyKey, hash } } : {})
      })
      // A replayed key queued nothing: the copy just made is not needed.
      if (sent.replayed) await rm(durable, { force: true })
      return ok(sent.replayed ? 'Message already accepted (Idempotency-Key)' : 'Message accepted', sent)
    } catch (error) {
      await rm(durable, { force: true })
      throw error
    }
  }
  for (const kind of MEDIA_KINDS) {
    app.post(fillPattern(MESSAGE_ROUTES.sendMediaByUrl.pattern, { kind }), async c => {
      const sessionId = SessionId.parse(c.req.param('sessionId'))
      const { jid, url, idempotency, ...fields } = await jsonBody(c, SendMediaByUrlRequest)
      // Refuse what cannot be sent before fetching anything.
      await sessions.requireQueueable(sessionId)
      await checkRecipient(deps, sessionId, jid)
      const result = await spool.withFile(async path => {
        const fetched = await fetchToFile(url, path, { maxBytes, ...(fetchPolicy ? { policy: fetchPolicy } : {}) })
        const mimetype = await checkContent(path, kind, fields.mimetype)
        return send(sessionId, jid, kind, { path, mimetype, fileName: fields.fileName ?? fetched.fileName, fields }, idempotency?.key)
      })
      return c.json(result)
    })
    app.post(fillPattern(MESSAGE_ROUTES.uploadMedia.pattern, { kind }), async c => {
      const sessionId = SessionId.parse(c.req.param('sessionId'))
      await sessions.requireQueueable(sessionId)
      const country = z
        .string()
        .regex(/^[A-Z]{2}$/)
        .default('ID')
        .parse(c.req.query('country'))
      const body = c.req.raw.body
      if (!body) throw appError('VALIDATION_ERROR', 'The upload is empty', { fields: [{ path: kind, message: 'Required' }] })
      const signedLength = c.req.header(STREAM_LENGTH_HEADER)
      const result = await spool.withFile(async path => {
        const upload = await receiveUpload({
          body: Readable.fromWeb(body as NodeWebStream<Uint8Array>),
          contentType: c.req.header('content-type') ?? '',
          fileField: kind,
          filePath: path,
          maxBytes,
          expectedLength: signedLength ? Number(signedLength) : undefined
        })
        if (!upload.file) throw appError('VALIDATION_ERROR', `The upload has no file in the "${kind}" field`, { fields: [{ path: kind, message: 'Required' }] })
        const fields = FormFields.parse(upload.fields)
        const { jid } = requireJid(fields.to, country, 'to')
        await checkRecipient(deps, sessionId, jid)
        const declared = fields.mimetype ?? (upload.file.declaredType === 'application/octet-stream' ? undefined : upload.file.declaredType)
        const mimetype = await checkContent(path, kind, declared)
        return send(sessionId, jid, kind, { path, mimetype, fileName: fields.fileName ?? upload.file.fileName, fields }, c.req.query('idempotencyKey'))
      })
      return c.json(result)
    })
  }
  return app
}
