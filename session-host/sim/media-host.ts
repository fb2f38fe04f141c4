import type { IncomingMessage, ServerResponse } from 'node:http'
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import { MEDIA_PATH_MAP } from '@whiskeysockets/baileys'
import { createMediaStore, sha256, toBase64Url } from './media-store.ts'
import type { MediaHostLog, MediaStore, StoredMedia } from './media-store.ts'
import { createTlsAuthority, type TlsAuthority } from './tls-authority.ts'

const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024

/** Every upload prefix Baileys can build (`MEDIA_PATH_MAP`); '' is app-state blobs at the root. */
const UPLOAD_PREFIXES: ReadonlySet<string> = new Set(Object.values(MEDIA_PATH_MAP))

export type MediaHostOptions = {
  log?: MediaHostLog
  /** Uploads larger than this are refused with 413. Default 64 MiB. */
  maxBodyBytes?: number
  /** When set, uploads must carry this `auth` query value (the one given out in `media_conn`). */
  expectedAuth?: string
  /** Reuse an authority (e.g. shared by several hosts); one is created on start otherwise. */
  tls?: TlsAuthority
}

export type MediaHostAddress = {
  /** '127.0.0.1:PORT', what `media_conn` must hand out as `hostname`. */
  host: string
  port: number
  /** 'https://127.0.0.1:PORT' */
  origin: string
  caPem: string
}

/** The HTTPS side of WhatsApp's media servers, in front of a store of encrypted blobs. */
export type MediaHost = Omit<MediaStore, 'keep' | 'atPathname'> & {
  start(): Promise<MediaHostAddress>
  stop(): Promise<void>
  readonly caPem: string
  readonly host: string
  /** Only what clients uploaded, in arrival order. */
  readonly uploads: readonly StoredMedia[]
}

const safeDecode = (component: string): string | undefined => {
  try {
    return decodeURIComponent(component)
  } catch {
    return undefined
  }
}

/** Splits '/mms/image/<token>' into its prefix and token. */
export const parseUploadPath = (pathname: string): { prefix: string; token: string } | undefined => {
  const cut = pathname.lastIndexOf('/')
  const prefix = pathname.slice(0, cut)
  const token = safeDecode(pathname.slice(cut + 1))
  if (!token || !UPLOAD_PREFIXES.has(prefix)) {
    return undefined
  }
  return { prefix, token }
}

/** Parses a single 'bytes=a-b' / 'bytes=a-' range; anything else is served whole. */
export const parseRange = (header: string | undefined, size: number): { start: number; end: number } | undefined => {
  const match = header ? /^bytes=(\d+)-(\d*)$/.exec(header.trim()) : null
  if (!match) {
    return undefined
  }
  const start = Number(match[1])
  const end = match[2] ? Math.min(Number(match[2]), size - 1) : size - 1
  return start <= end ? { start, end } : undefined
}

const readBody = async (req: IncomingMessage, maxBytes: number): Promise<Buffer | 'too-large'> => {
  const chunks: Buffer[] = []
  let total = 0
  for await (const chunk of req) {
    const buf = chunk as Buffer
    total += buf.length
    if (total > maxBytes) {
      return 'too-large'
    }
    chunks.push(buf)
  }
  return Buffer.concat(chunks)
}

const sendJson = (res: ServerResponse, status: number, body: unknown): void => {
  const data = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) })
  res.end(data)
}

export const createMediaHost = (options: MediaHostOptions = {}): MediaHost => {
  const log: MediaHostLog = options.log ?? (() => {})
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  let server: Server | undefined
  let address: MediaHostAddress | undefined

  const running = (): MediaHostAddress => {
    if (!address) {
      throw new Error('media host is not started')
    }
    return address
  }

  const { keep, atPathname, ...blobs } = createMediaStore(() => running().origin, log)

  const handleUpload = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const target = parseUploadPath(url.pathname)
    if (!target) {
      sendJson(res, 404, { error: 'unknown upload path' })
      return
    }
    if (options.expectedAuth !== undefined && url.searchParams.get('auth') !== options.expectedAuth) {
      sendJson(res, 401, { error: 'bad auth' })
      return
    }
    if (Number(req.headers['content-length'] ?? 0) > maxBodyBytes) {
      sendJson(res, 413, { error: 'too large' })
      req.resume()
      return
    }
    const body = await readBody(req, maxBodyBytes)
    if (body === 'too-large') {
      res.setHeader('connection', 'close')
      sendJson(res, 413, { error: 'too large' })
      return
    }
    // The path token is the b64url sha256 of the encrypted body: the server's integrity check.
    if (toBase64Url(sha256(body)) !== target.token) {
      sendJson(res, 400, { error: 'hash mismatch' })
      return
    }
    const media = keep('upload', target.prefix, body)
    log('media upload stored', { prefix: target.prefix, bytes: body.length, directPath: media.directPath })
    sendJson(res, 200, { url: media.url, direct_path: media.directPath, handle: null, object_id: media.id })
  }

  const handleDownload = (req: IncomingMessage, res: ServerResponse, url: URL): void => {
    const media = atPathname(url.pathname)
    if (!media) {
      sendJson(res, 404, { error: 'not found' })
      return
    }
    const size = media.encrypted.length
    const range = parseRange(req.headers.range, size)
    const body = range ? media.encrypted.subarray(range.start, range.end + 1) : media.encrypted
    const headers: Record<string, string | number> = {
      'content-type': 'application/octet-stream',
      'content-length': body.length,
      'accept-ranges': 'bytes'
    }
    if (range) {
      headers['content-range'] = `bytes ${range.start}-${range.end}/${size}`
    }
    res.writeHead(range ? 206 : 200, headers)
    res.end(req.method === 'HEAD' ? undefined : body)
  }

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'https://media.invalid')
    if (req.method === 'POST') {
      await handleUpload(req, res, url)
    } else if (req.method === 'GET' || req.method === 'HEAD') {
      handleDownload(req, res, url)
    } else {
      sendJson(res, 405, { error: 'method not allowed' })
    }
  }

  const start = async (): Promise<MediaHostAddress> => {
    if (address) {
      return address
    }
    const tls = options.tls ?? (await createTlsAuthority())
    const srv = createServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => {
      handle(req, res).catch((error: unknown) => {
        log('media host request failed', { error: String(error) })
        if (!res.headersSent) {
          sendJson(res, 500, { error: 'internal' })
        } else {
          res.destroy()
        }
      })
    })
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject)
      srv.listen(0, '127.0.0.1', () => {
        srv.off('error', reject)
        resolve()
      })
    })
    server = srv
    const { port } = srv.address() as AddressInfo
    address = { host: `127.0.0.1:${port}`, port, origin: `https://127.0.0.1:${port}`, caPem: tls.caPem }
    log('media host listening', { host: address.host })
    return address
  }

  const stop = async (): Promise<void> => {
    const srv = server
    server = undefined
    address = undefined
    if (!srv) {
      return
    }
    const closed = new Promise<void>(resolve => srv.close(() => resolve()))
    srv.closeAllConnections()
    await closed
  }

  return {
    ...blobs,
    start,
    stop,
    get caPem() {
      return running().caPem
    },
    get host() {
      return running().host
    },
    get uploads() {
      return blobs.stored.filter(media => media.origin === 'upload')
    }
  }
}
