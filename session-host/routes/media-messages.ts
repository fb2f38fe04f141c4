import { Readable } from 'node:stream'
import type { ReadableStream as NodeWebStream } from 'node:stream/web'
import type { AnyMessageContent } from '@whiskeysockets/baileys'
import { Hono } from 'hono'
import { z } from 'zod'
import { appError, ok } from '../../shared/errors.ts'
import { MAX_MEDIA_BYTES, MEDIA_KINDS } from '../../shared/media.ts'
import type { MediaKind } from '../../shared/media.ts'
import { STREAM_LENGTH_HEADER } from '../../shared/internal-signing.ts'
import { requireJid } from '../../shared/phone.ts'
import { checkContent } from '../media/content-check.ts'
import { fetchToFile } from '../media/safe-fetch.ts'
import type { FetchPolicy } from '../media/safe-fetch.ts'
import { receiveUpload } from '../media/multipart-upload.ts'
import type { UploadSpool } from '../media/upload-spool.ts'
import type { RecipientCheck } from '../messages/recipient-check.ts'
import { sendOutgoing, sentView } from '../messages/send-outgoing.ts'
import type { SessionManager } from '../sessions/session-manager.ts'
import { jsonBody } from './json-body.ts'

export type MediaRoutesDeps = {
  sessions: SessionManager
  recipients: RecipientCheck
  spool: UploadSpool
  fetchPolicy?: FetchPolicy
  maxBytes?: number
}

const Fields = z.object({
  caption: z.string().max(4096).optional(),
  fileName: z.string().min(1).max(255).optional(),
  mimetype: z.string().min(3).max(128).optional(),
  ptt: z.boolean().optional()
})
const ByUrl = Fields.extend({ jid: z.string().regex(/^\d{5,20}@s\.whatsapp\.net$/), url: z.string().min(1).max(2048) })
// Multipart fields arrive as text; `ptt` as "true"/"false".
const FormFields = Fields.extend({
  to: z.string().min(3).max(64),
  ptt: z.enum(['true', 'false']).transform(value => value === 'true').optional()
})

/** The upload routes are the only ones that take a body signed as an unsigned stream. */
export const UPLOAD_PATH = new RegExp(`^/internal/sessions/[A-Za-z0-9_-]{1,64}/messages/(${MEDIA_KINDS.join('|')})/upload$`)

type Media = { path: string; mimetype: string; fileName: string | undefined; fields: z.infer<typeof Fields> }

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
export const mediaMessageRoutes = ({ sessions, recipients, spool, fetchPolicy, maxBytes = MAX_MEDIA_BYTES }: MediaRoutesDeps) => {
  const app = new Hono()
  const send = async (sessionId: string, jid: string, kind: MediaKind, media: Media) => {
    const socket = sessions.socket(sessionId)
    const messageId = await sendOutgoing(socket, jid, { content: content(kind, media) })
    return ok('Message sent', sentView(sessionId, jid, messageId))
  }
  for (const kind of MEDIA_KINDS) {
    app.post(`/:id/messages/${kind}`, async c => {
      const sessionId = c.req.param('id')
      const { jid, url, ...fields } = await jsonBody(c, ByUrl)
      // Refuse what cannot be sent before fetching anything.
      await recipients.require(sessionId, sessions.socket(sessionId), jid)
      const result = await spool.withFile(async path => {
        const fetched = await fetchToFile(url, path, { maxBytes, ...(fetchPolicy ? { policy: fetchPolicy } : {}) })
        const mimetype = await checkContent(path, kind, fields.mimetype)
        return send(sessionId, jid, kind, { path, mimetype, fileName: fields.fileName ?? fetched.fileName, fields })
      })
      return c.json(result)
    })
    app.post(`/:id/messages/${kind}/upload`, async c => {
      const sessionId = c.req.param('id')
      sessions.socket(sessionId)
      const country = z.string().regex(/^[A-Z]{2}$/).default('ID').parse(c.req.query('country'))
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
        const { jid } = requireJid(fields.to, country)
        await recipients.require(sessionId, sessions.socket(sessionId), jid)
        const declared = fields.mimetype ?? (upload.file.declaredType === 'application/octet-stream' ? undefined : upload.file.declaredType)
        const mimetype = await checkContent(path, kind, declared)
        return send(sessionId, jid, kind, { path, mimetype, fileName: fields.fileName ?? upload.file.fileName, fields })
      })
      return c.json(result)
    })
  }
  return app
}
