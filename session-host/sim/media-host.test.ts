import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { unlink } from 'node:fs/promises'
import { after, before, describe, test } from 'node:test'
import type { Readable } from 'node:stream'
import {
  downloadContentFromMessage,
  downloadMediaMessage,
  encryptedStream,
  getWAUploadToServer,
  type MediaConnInfo,
  type MediaType,
  type SocketConfig,
  type WAMediaUploadFunction
} from '@whiskeysockets/baileys'
import { createMediaHost, type MediaHost, type MediaHostAddress } from './media-host.ts'
import { baileysTrustConfig, createTlsAuthority, makeTrustingAgents, type TlsAuthority, type TrustingAgents } from './tls-authority.ts'

const MEDIA_TYPES = ['image', 'video', 'audio', 'document'] as const satisfies readonly MediaType[]

const sha256Hex = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex')

const collect = async (stream: Readable): Promise<Buffer> => {
  const chunks: Buffer[] = []
  for await (const chunk of stream) {
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks)
}

const makeLogger = (warnings: string[]): SocketConfig['logger'] => {
  const noop = (): void => {}
  const logger: SocketConfig['logger'] = {
    level: 'warn',
    child: () => logger,
    trace: noop,
    debug: noop,
    info: noop,
    warn: (obj, msg) => warnings.push(`${msg ?? ''} ${JSON.stringify(obj)}`),
    error: (obj, msg) => warnings.push(`${msg ?? ''} ${JSON.stringify(obj)}`)
  }
  return logger
}

/** Baileys' real upload function; only `refreshMediaConn` (an IQ in a live socket) is faked. */
const baileysUploader = (host: string, trust: Partial<Pick<SocketConfig, 'fetchAgent' | 'options'>>, warnings: string[]): WAMediaUploadFunction => {
  const mediaConn: MediaConnInfo = {
    hosts: [{ hostname: host, maxContentLengthBytes: 64 * 1024 * 1024 }],
    auth: 'test-auth',
    ttl: 60,
    fetchDate: new Date()
  }
  // Only the fields getWAUploadToServer reads; a full SocketConfig needs a live auth state.
  const config = { customUploadHosts: [], logger: makeLogger(warnings), options: {}, ...trust }
  return getWAUploadToServer(config as unknown as SocketConfig, async () => mediaConn)
}

/** Encrypts with Baileys' encryptedStream and uploads the file it wrote, as prepareWAMessageMedia does. */
const encryptAndUpload = async (upload: WAMediaUploadFunction, plaintext: Buffer, mediaType: MediaType) => {
  const enc = await encryptedStream(plaintext, mediaType)
  try {
    const result = await upload(enc.encFilePath, {
      fileEncSha256B64: enc.fileEncSha256.toString('base64'),
      mediaType,
      timeoutMs: 5_000
    })
    return { enc, result }
  } finally {
    await unlink(enc.encFilePath)
  }
}

describe('media host', () => {
  let tls: TlsAuthority
  let host: MediaHost
  let address: MediaHostAddress
  let agents: TrustingAgents

  before(async () => {
    // Trust must come from the per-client agents alone. NODE_EXTRA_CA_CERTS may point at a system
    // bundle, but it cannot hold a root minted at run time; the refusal test below checks that too.
    assert.notEqual(process.env.NODE_TLS_REJECT_UNAUTHORIZED, '0')
    tls = await createTlsAuthority()
    host = createMediaHost({ tls, expectedAuth: 'test-auth' })
    address = await host.start()
    agents = makeTrustingAgents(address.caPem)
  })

  after(async () => {
    await agents.close()
    await host.stop()
  })

  for (const mediaType of MEDIA_TYPES) {
    test(`Baileys upload of ${mediaType} decrypts to the original bytes`, async () => {
      const warnings: string[] = []
      const plaintext = randomBytes(70_001 + MEDIA_TYPES.indexOf(mediaType))
      const upload = baileysUploader(address.host, baileysTrustConfig(agents), warnings)
      const { enc, result } = await encryptAndUpload(upload, plaintext, mediaType)

      assert.deepEqual(warnings, [])
      assert.ok(result.directPath.startsWith('/v/'), result.directPath)
      assert.ok(result.mediaUrl.startsWith(`${address.origin}/v/`), result.mediaUrl)
      const stored = host.find(result.directPath)
      assert.equal(stored?.uploadPrefix, `/mms/${mediaType}`)

      const decrypted = await host.decryptUpload(result.directPath, enc.mediaKey, mediaType, {
        fileEncSha256: enc.fileEncSha256,
        fileSha256: enc.fileSha256
      })
      assert.equal(sha256Hex(decrypted), sha256Hex(plaintext))

      // The shape a sent proto message carries: url only, found by its path.
      const viaMessage = await host.decryptMessageMedia(
        { url: result.mediaUrl, mediaKey: enc.mediaKey, fileEncSha256: enc.fileEncSha256, fileSha256: enc.fileSha256 },
        mediaType
      )
      assert.equal(sha256Hex(viaMessage), sha256Hex(plaintext))
    })
  }

  test('decryption verifies the MAC and the hashes', async () => {
    const plaintext = randomBytes(5_000)
    const upload = baileysUploader(address.host, baileysTrustConfig(agents), [])
    const { enc, result } = await encryptAndUpload(upload, plaintext, 'image')
    await assert.rejects(host.decryptUpload(result.directPath, randomBytes(32), 'image'), /MAC mismatch/)
    await assert.rejects(host.decryptUpload(result.directPath, enc.mediaKey, 'document'), /MAC mismatch/)
    await assert.rejects(host.decryptUpload(result.directPath, enc.mediaKey, 'image', { fileEncSha256: randomBytes(32) }), /fileEncSha256/)
    await assert.rejects(host.decryptUpload(result.directPath, enc.mediaKey, 'image', { fileSha256: randomBytes(32) }), /fileSha256/)
  })

  for (const mediaType of MEDIA_TYPES) {
    test(`hostInbound ${mediaType} is fetched and decrypted by Baileys' downloadContentFromMessage`, async () => {
      const plaintext = randomBytes(33_333 + MEDIA_TYPES.indexOf(mediaType))
      const hosted = await host.hostInbound(plaintext, mediaType)
      assert.ok(hosted.url.startsWith(`${address.origin}/v/`), hosted.url)
      assert.equal(hosted.fileLength, plaintext.length)
      assert.equal(hosted.fileSha256.toString('hex'), sha256Hex(plaintext))

      const stream = await downloadContentFromMessage(hosted, mediaType, { options: baileysTrustConfig(agents).options })
      assert.equal(sha256Hex(await collect(stream)), sha256Hex(plaintext))
    })
  }

  test('hostInbound image through downloadMediaMessage, whole and by byte range', async () => {
    const plaintext = randomBytes(40_000)
    const hosted = await host.hostInbound(plaintext, 'image')
    const message = {
      key: { remoteJid: '15550001111@s.whatsapp.net', fromMe: false, id: 'MEDIAHOSTTEST' },
      message: { imageMessage: hosted }
    }
    const options = { options: baileysTrustConfig(agents).options }
    const whole = await downloadMediaMessage(message, 'buffer', options)
    assert.equal(sha256Hex(whole), sha256Hex(plaintext))

    const part = await downloadMediaMessage(message, 'buffer', { ...options, startByte: 1_000, endByte: 5_000 })
    assert.equal(sha256Hex(part), sha256Hex(plaintext.subarray(1_000, 5_000)))
  })

  test('trust is scoped to the agents: plain clients refuse the certificate', async () => {
    const hosted = await host.hostInbound(randomBytes(1_000), 'document')

    const refused = await fetch(hosted.url).then(
      () => undefined,
      (error: unknown) => error
    )
    assert.ok(refused instanceof Error, 'plain fetch must fail')
    const code = (refused.cause as { code?: string } | undefined)?.code ?? ''
    assert.match(code, /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|UNABLE_TO_GET_ISSUER_CERT/)

    await assert.rejects(downloadContentFromMessage(hosted, 'document'), /fetch failed/)

    const warnings: string[] = []
    const untrustedUpload = baileysUploader(address.host, {}, warnings)
    await assert.rejects(encryptAndUpload(untrustedUpload, randomBytes(100), 'document'), /upload failed on all hosts/)
    assert.ok(
      warnings.some(w => /unable to verify the first certificate/.test(w)),
      warnings.join('\n')
    )

    const trusted = await fetch(hosted.url, { dispatcher: agents.dispatcher })
    assert.equal(trusted.status, 200)
    // The wire bytes are the encrypted blob whose hash the message advertises.
    assert.equal(sha256Hex(new Uint8Array(await trusted.arrayBuffer())), hosted.fileEncSha256.toString('hex'))
  })

  test('uploads are checked: hash token, auth, size', async () => {
    const body = randomBytes(2_048)
    const token = createHash('sha256').update(body).digest('base64url')
    const post = (path: string, data: Uint8Array) =>
      fetch(`${address.origin}${path}`, {
        method: 'POST',
        body: data,
        dispatcher: agents.dispatcher
      })

    assert.equal((await post(`/mms/image/${token}?auth=wrong&token=${token}`, body)).status, 401)
    assert.equal((await post(`/mms/image/${'A'.repeat(43)}?auth=test-auth`, body)).status, 400)
    assert.equal((await post(`/nope/${token}?auth=test-auth`, body)).status, 404)
    const ok = await post(`/mms/document/${token}?auth=test-auth&token=${token}`, body)
    assert.equal(ok.status, 200)
    const json = (await ok.json()) as { url?: string; direct_path?: string }
    assert.equal(host.find(json.direct_path ?? '')?.encrypted.equals(body), true)

    const small = createMediaHost({ tls, maxBodyBytes: 1_024 })
    const smallAddress = await small.start()
    try {
      const tooLarge = await fetch(`${smallAddress.origin}/mms/image/${token}?auth=x`, {
        method: 'POST',
        body,
        dispatcher: agents.dispatcher
      })
      assert.equal(tooLarge.status, 413)
      await tooLarge.arrayBuffer()
      assert.equal(small.uploads.length, 0)
    } finally {
      await small.stop()
    }
  })
})
