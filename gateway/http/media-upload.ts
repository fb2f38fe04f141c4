import type { Context } from 'hono'
import { MEDIA_KINDS } from '../../shared/media.ts'

const MEDIA_ROUTE = new RegExp(`^/api/messages/[^/]+/(${MEDIA_KINDS.join('|')})$`)

/**
 * Whether a request is a multipart upload to a media route (routes/media-messages.ts), which
 * streams past the small body limit. Apart from the route group, so app.ts can ask before the group is built.
 */
export const isMediaUpload = (c: Context): boolean =>
  c.req.method === 'POST' && /^multipart\/form-data/i.test(c.req.header('content-type') ?? '') && MEDIA_ROUTE.test(c.req.path)
