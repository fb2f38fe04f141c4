import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { readFile, unlink } from 'node:fs/promises'
import { aesDecryptWithIV, encryptedStream, getMediaKeys, hmacSign, MEDIA_PATH_MAP, type MediaType } from '@whiskeysockets/baileys'

/** WhatsApp appends the first 10 bytes of HMAC-SHA256(macKey, iv || ciphertext) to the ciphertext. */
const MAC_LENGTH = 10

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

/** The encrypted blobs the media host serves, and what a test reads back out of them. */
export type MediaStore = {
  /** Every stored blob, uploads and inbound alike, in arrival order. */
  readonly stored: readonly StoredMedia[]
  /** Keeps an encrypted blob under a fresh direct path. */
  keep(origin: StoredMedia['origin'], uploadPrefix: string, encrypted: Buffer): StoredMedia
  /** The blob at exactly this path, as a request names it. */
  atPathname(pathname: string): StoredMedia | undefined
  find(directPathOrUrl: string): StoredMedia | undefined
  findByEncSha256(fileEncSha256: Uint8Array): StoredMedia | undefined
  decryptUpload(directPathOrUrl: string, mediaKey: Uint8Array, mediaType: MediaType, expect?: DecryptExpectations): Promise<Buffer>
  decryptMessageMedia(media: MediaReference, mediaType: MediaType): Promise<Buffer>
  hostInbound(plaintext: Uint8Array, mediaType: MediaType, opts?: { mimetype?: string }): Promise<HostedMedia>
}

export const sha256 = (data: Uint8Array): Buffer => createHash('sha256').update(data).digest()

export const toBase64Url = (data: Uint8Array): string => Buffer.from(data).toString('base64url')

/** Accepts a direct path ('/v/…?oh=…') or a full URL and returns its path, the storage key. */
export const mediaPathname = (directPathOrUrl: string): string => new URL(directPathOrUrl, 'https://media.invalid').pathname

const mediaPathFor = (mediaType: MediaType): string => (MEDIA_PATH_MAP as Partial<Record<MediaType, string>>)[mediaType] ?? ''

const newDirectPath = (): { id: string; directPath: string } => {
  const id = `${randomBytes(8).readBigUInt64BE()}_n`
  const expires = Math.floor(Date.now() / 1000) + 14 * 24 * 60 * 60
  const query = `ccb=11-4&oh=01_${randomBytes(16).toString('base64url')}&oe=${expires.toString(16).toUpperCase()}&_nc_sid=5e03e0`
  return { id, directPath: `/v/t62.7118-24/${id}.enc?${query}` }
}

/** Decrypts `ciphertext || mac` the way a WhatsApp client does, keys derived by Baileys' getMediaKeys. */
export const decryptMediaBlob = async (encrypted: Buffer, mediaKey: Uint8Array, mediaType: MediaType): Promise<Buffer> => {
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

/** `origin` is where the host serves from ('https://127.0.0.1:PORT'); it is read as each blob is kept. */
export const createMediaStore = (origin: () => string, log: MediaHostLog): MediaStore => {
  const stored: StoredMedia[] = []
  const byPathname = new Map<string, StoredMedia>()

  const keep = (mediaOrigin: StoredMedia['origin'], uploadPrefix: string, encrypted: Buffer): StoredMedia => {
    const { id, directPath } = newDirectPath()
    const media: StoredMedia = {
      id,
      origin: mediaOrigin,
      uploadPrefix,
      pathname: mediaPathname(directPath),
      directPath,
      url: `${origin()}${directPath}&mms3=true`,
      encrypted,
      fileEncSha256: sha256(encrypted),
      storedAt: Date.now()
    }
    stored.push(media)
    byPathname.set(media.pathname, media)
    return media
  }

  const atPathname = (pathname: string): StoredMedia | undefined => byPathname.get(pathname)

  const find = (directPathOrUrl: string): StoredMedia | undefined => atPathname(mediaPathname(directPathOrUrl))

  const findByEncSha256 = (fileEncSha256: Uint8Array): StoredMedia | undefined => stored.find(media => media.fileEncSha256.equals(fileEncSha256))

  const decryptUpload = async (directPathOrUrl: string, mediaKey: Uint8Array, mediaType: MediaType, expect: DecryptExpectations = {}): Promise<Buffer> => {
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
    const ref = media.directPath ?? media.url ?? (media.fileEncSha256 ? findByEncSha256(media.fileEncSha256)?.directPath : undefined)
    if (!ref) {
      throw new Error('media message has neither directPath, url nor a known fileEncSha256')
    }
    return decryptUpload(ref, media.mediaKey, mediaType, media)
  }

  const hostInbound = async (plaintext: Uint8Array, mediaType: MediaType, opts: { mimetype?: string } = {}): Promise<HostedMedia> => {
    const encryptedFile = await encryptedStream(Buffer.from(plaintext), mediaType)
    let encrypted: Buffer
    try {
      encrypted = await readFile(encryptedFile.encFilePath)
    } finally {
      await unlink(encryptedFile.encFilePath).catch(() => {})
    }
    const media = keep('inbound', mediaPathFor(mediaType), encrypted)
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

  return { stored, keep, atPathname, find, findByEncSha256, decryptUpload, decryptMessageMedia, hostInbound }
}
