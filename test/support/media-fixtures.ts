import { createHash, randomBytes } from 'node:crypto'
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import QRCode from 'qrcode'

export const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')

/** Small files whose signatures file-type recognises, with random bodies so every hash differs. */
export const mediaSamples = async () => ({
  image: {
    bytes: await QRCode.toBuffer(`https://example.test/${randomBytes(4).toString('hex')}`, { type: 'png', width: 256 }),
    mimetype: 'image/png',
    name: 'qr.png'
  },
  video: {
    bytes: Buffer.concat([Buffer.from('000000186674797069736f6d0000020069736f6d69736f32', 'hex'), randomBytes(200_000)]),
    mimetype: 'video/mp4',
    name: 'clip.mp4'
  },
  audio: { bytes: oggOpus(randomBytes(30_000)), mimetype: 'audio/ogg; codecs=opus', name: 'note.ogg' },
  document: { bytes: Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(100_000)]), mimetype: 'application/pdf', name: 'invoice.pdf' }
})

/** An Ogg page whose first packet is an OpusHead: enough for file-type to call it Opus. */
const oggOpus = (rest: Buffer) => {
  const head = Buffer.alloc(47)
  head.write('OggS', 0)
  head.write('OpusHead', 28)
  return Buffer.concat([head, rest])
}

/**
 * A loopback file server for URL tests: `/files/<name>` serves what `put` stored, `/redirect?to=`
 * answers 302.
 */
export const startFileServer = async () => {
  const files = new Map<string, { bytes: Buffer; type: string }>()
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    if (url.pathname === '/redirect') {
      res.writeHead(302, { location: url.searchParams.get('to') ?? '/' }).end()
      return
    }
    const file = files.get(decodeURIComponent(url.pathname.replace(/^\/files\//, '')))
    if (!file) {
      res.writeHead(404).end()
      return
    }
    res.writeHead(200, { 'content-type': file.type, 'content-length': file.bytes.length }).end(file.bytes)
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    port,
    hostPort: `127.0.0.1:${port}`,
    put: (name: string, bytes: Buffer, type: string) => {
      files.set(name, { bytes, type })
      return `http://127.0.0.1:${port}/files/${encodeURIComponent(name)}`
    },
    stop: () => new Promise<void>(resolve => server.close(() => resolve()))
  }
}

/** Baileys' own temporary files (`<type>3EB0…-enc`, `-original`), which it writes to os.tmpdir(). */
export const baileysTempFiles = (dir = tmpdir()) =>
  readdirSync(dir).filter(name => /^(image|video|audio|document|ptt|ptv|gif|sticker)3EB0[0-9A-F]+(-enc|-original)?$/.test(name))
