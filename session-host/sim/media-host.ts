import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { readFile, unlink } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import {
  aesDecryptWithIV,
  encryptedStream,
  getMediaKeys,
  hmacSign,
  MEDIA_PATH_MAP,
  type MediaType
} from '@whiskeysockets/baileys'
import { createTlsAuthority, type TlsAuthority } from './tls-authority.ts'

/** WhatsApp appends the first 10 bytes of HMAC-SHA256(macKey, iv || ciphertext) to the ciphertext. */
const MAC_LENGTH = 10
const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024

/** Every upload prefix Baileys can build (`MEDIA_PATH_MAP`); '' is app-state blobs at the root. */
const UPLOAD_PREFIXES: ReadonlySet<string> = new Set(Object.values(MEDIA_PATH_MAP))

const DEFAULT_MIMETYPES: Partial<Record<MediaType, string>> = {
  image: 'image/jpeg',
  video: 'video/mp4',
  gif: 'video/mp4',
  ptv: 'video/mp4',
  audio: 'audio/ogg; codecs=opus',
  ptt: 'audio/ogg; codecs=opus',
  document: 'application/pdf',
  sticker: 'image/webp'
}

export type MediaHostLog = (message: string, meta?: Record<string, unknown>) => void

export type MediaHostOptions = {
  log?: MediaHostLog
  /** Uploads larger than this are refused with 413. Default 64 MiB. */
  maxBodyBytes?: number
  /** When set, uploads must carry this `auth` query value (the one given out in `media_conn`). */
  expectedAuth?: string
  /** Reuse an authority (e.g. shared by several hosts); one is created on start otherwise. */
  tls?: TlsAuthority
}

export type StoredMedia = {
  id: string
  origin: 'upload' | 'inbound'
  /** Upload prefix such as '/mms/image'; for inbound media, the prefix of the media type. */
  uploadPrefix: string
  /** Path part of `directPath`; the key media is served and looked up by. */
  pathname: string
  directPath: string
  url: string
  /** Ciphertext followed by the 10-byte MAC, exactly as on the wire. */
  encrypted: Buffer
  fileEncSha256: Buffer
  storedAt: number
}

/** The fields an injected `imageMessage`/`videoMessage`/`audioMessage`/`documentMessage`/… needs. */
export type HostedMedia = {
  url: string
  directPath: string
  mediaKey: Buffer
  fileSha256: Buffer
  fileEncSha256: Buffer
  fileLength: number
  mimetype: string
  mediaKeyTimestamp: number
}

/** The subset of a proto media message needed to find and decrypt its upload. */
export type MediaReference = {
  url?: string | null
  directPath?: string | null
  mediaKey?: Uint8Array | null
  fileEncSha256?: Uint8Array | null
  fileSha256?: Uint8Array | null
}

export type DecryptExpectations = {
  fileEncSha256?: Uint8Array | null
  fileSha256?: Uint8Array | null
}

export type MediaHostAddress = {
  /** '127.0.0.1:PORT', what `media_conn` must hand out as `hostname`. */
  host: string
  port: number
  /** 'https://127.0.0.1:PORT' */
  origin: string
  caPem: string
}

export type MediaHost = {
  start(): Promise<MediaHostAddress>
  stop(): Promise<void>
  readonly caPem: string
  readonly host: string
  /** Every stored blob, uploads and inbound alike, in arrival order. */
  readonly stored: readonly StoredMedia[]
  /** Only what clients uploaded, in arrival order. */
  readonly uploads: readonly StoredMedia[]
  find(directPathOrUrl: string): StoredMedia | undefined
  findByEncSha256(fileEncSha256: Uint8Array): StoredMedia | undefined
  decryptUpload(
    directPathOrUrl: string,
    mediaKey: Uint8Array,
    mediaType: MediaType,
    expect?: DecryptExpectations
  ): Promise<Buffer>
  decryptMessageMedia(media: MediaReference, mediaType: MediaType): Promise<Buffer>
  hostInbound(plaintext: Uint8Array, mediaType: MediaType, opts?: { mimetype?: string }): Promise<HostedMedia>
}

const sha256 = (data: Uint8Array): Buffer => createHash('sha256').update(data).digest()

export const toBase64Url = (data: Uint8Array): string => Buffer.from(data).toString('base64url')

/** Accepts a direct path ('/v/…?oh=…') or a full URL and returns its path, the storage key. */
export const mediaPathname = (directPathOrUrl: string): string =>
  new URL(directPathOrUrl, 'https://media.invalid').pathname

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

const mediaPathFor = (mediaType: MediaType): string =>
  (MEDIA_PATH_MAP as Partial<Record<MediaType, string>>)[mediaType] ?? ''

const newDirectPath = (): { id: string; directPath: string } => {
  const id = `${randomBytes(8).readBigUInt64BE()}_n`
  const expires = Math.floor(Date.now() / 1000) + 14 * 24 * 60 * 60
  const query = `ccb=11-4&oh=01_${randomBytes(16).toString('base64url')}&oe=${expires.toString(16).toUpperCase()}&_nc_sid=5e03e0`
  return { id, directPath: `/v/t62.7118-24/${id}.enc?${query}` }
}

/** Decrypts `ciphertext || mac` the way a WhatsApp client does, keys derived by Baileys' getMediaKeys. */
export const decryptMediaBlob = async (
  encrypted: Buffer,
  mediaKey: Uint8Array,
  mediaType: MediaType
): Promise<Buffer> => {
  if (encrypted.length < MAC_LENGTH + 16) {
    throw new Error(`media blob too short (${encrypted.length} bytes)`)
  }
  const { iv, cipherKey, macKey } = await getMediaKeys(mediaKey, mediaType)
  if (!macKey) {
    throw new Error('getMediaKeys returned no macKey')
  }
  const ciphertext = encrypted.subarray(0, encrypted.length - MAC_LENGTH)
  const mac = encrypted.subarray(encrypted.length - MAC_LENGTH)
  const expectedMac = hmacSign(Buffer.concat([iv, ciphertext]), macKey).subarray(0, MAC_LENGTH)
  if (!timingSafeEqual(mac, expectedMac)) {
    throw new Error(`media MAC mismatch (wrong mediaKey or media type "${mediaType}")`)
  }
  return aesDecryptWithIV(ciphertext, cipherKey, iv)
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
  const stored: StoredMedia[] = []
  const byPathname = new Map<string, StoredMedia>()
  let server: Server | undefined
  let address: MediaHostAddress | undefined

  const running = (): MediaHostAddress => {
    if (!address) {
      throw new Error('media host is not started')
    }
    return address
  }

  const store = (origin: StoredMedia['origin'], uploadPrefix: string, encrypted: Buffer): StoredMedia => {
    const { id, directPath } = newDirectPath()
    const media: StoredMedia = {
      id,
      origin,
      uploadPrefix,
      pathname: mediaPathname(directPath),
      directPath,
      url: `${running().origin}${directPath}&mms3=true`,
      encrypted,
      fileEncSha256: sha256(encrypted),
      storedAt: Date.now()
    }
    stored.push(media)
    byPathname.set(media.pathname, media)
    return media
  }

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
    const media = store('upload', target.prefix, body)
    log('media upload stored', { prefix: target.prefix, bytes: body.length, directPath: media.directPath })
    sendJson(res, 200, { url: media.url, direct_path: media.directPath, handle: null, object_id: media.id })
  }

  const handleDownload = (req: IncomingMessage, res: ServerResponse, url: URL): void => {
    const media = byPathname.get(url.pathname)
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

  const find = (directPathOrUrl: string): StoredMedia | undefined => byPathname.get(mediaPathname(directPathOrUrl))

  const findByEncSha256 = (fileEncSha256: Uint8Array): StoredMedia | undefined =>
    stored.find(media => media.fileEncSha256.equals(fileEncSha256))

  const decryptUpload = async (
    directPathOrUrl: string,
    mediaKey: Uint8Array,
    mediaType: MediaType,
    expect: DecryptExpectations = {}
  ): Promise<Buffer> => {
    const media = find(directPathOrUrl)
    if (!media) {
      throw new Error(`no stored media at ${directPathOrUrl}`)
    }
    if (expect.fileEncSha256 && !media.fileEncSha256.equals(expect.fileEncSha256)) {
      throw new Error('fileEncSha256 does not match the stored media')
    }
    const plaintext = await decryptMediaBlob(media.encrypted, mediaKey, mediaType)
    if (expect.fileSha256 && !sha256(plaintext).equals(expect.fileSha256)) {
      throw new Error('fileSha256 does not match the decrypted media')
    }
    return plaintext
  }

  const decryptMessageMedia = async (media: MediaReference, mediaType: MediaType): Promise<Buffer> => {
    if (!media.mediaKey) {
      throw new Error('media message has no mediaKey')
    }
    const ref =
      media.directPath ??
      media.url ??
      (media.fileEncSha256 ? findByEncSha256(media.fileEncSha256)?.directPath : undefined)
    if (!ref) {
      throw new Error('media message has neither directPath, url nor a known fileEncSha256')
    }
    return decryptUpload(ref, media.mediaKey, mediaType, media)
  }

  const hostInbound = async (
    plaintext: Uint8Array,
    mediaType: MediaType,
    opts: { mimetype?: string } = {}
  ): Promise<HostedMedia> => {
    const encryptedFile = await encryptedStream(Buffer.from(plaintext), mediaType)
    let encrypted: Buffer
    try {
      encrypted = await readFile(encryptedFile.encFilePath)
    } finally {
      await unlink(encryptedFile.encFilePath).catch(() => {})
    }
    const media = store('inbound', mediaPathFor(mediaType), encrypted)
    log('inbound media hosted', { mediaType, bytes: encrypted.length, directPath: media.directPath })
    return {
      url: media.url,
      directPath: media.directPath,
      mediaKey: encryptedFile.mediaKey,
      fileSha256: encryptedFile.fileSha256,
      fileEncSha256: encryptedFile.fileEncSha256,
      fileLength: encryptedFile.fileLength,
      mimetype: opts.mimetype ?? DEFAULT_MIMETYPES[mediaType] ?? 'application/octet-stream',
      mediaKeyTimestamp: Math.floor(Date.now() / 1000)
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
    start,
    stop,
    get caPem() {
      return running().caPem
    },
    get host() {
      return running().host
    },
    stored,
    get uploads() {
      return stored.filter(media => media.origin === 'upload')
    },
    find,
    findByEncSha256,
    decryptUpload,
    decryptMessageMedia,
    hostInbound
  }
}
