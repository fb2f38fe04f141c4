import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import QRCode from 'qrcode'
import { downloadMediaMessage } from '@whiskeysockets/baileys'
import type { AnyMessageContent, WAMessage } from '@whiskeysockets/baileys'
import { WaSim } from './wa-sim.ts'
import { baileysTrustConfig, makeTrustingAgents } from './tls-authority.ts'
import type { TrustingAgents } from './tls-authority.ts'
import { BaileysDriver } from './testing/baileys-driver.ts'

const ACCOUNT = '15550030001'
const ALICE = '15550002222'
const ALICE_JID = `${ALICE}@s.whatsapp.net`
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')

describe('media through the emulator (uploads to and downloads from a local HTTPS media host)', () => {
  const sim = new WaSim({ media: true })
  let driver: BaileysDriver
  let agents: TrustingAgents
  before(async () => {
    const url = await sim.start()
    sim.addContact(ALICE)
    // The run-time CA is trusted by this client only, not by the process.
    agents = makeTrustingAgents(sim.media.caPem)
    driver = new BaileysDriver({ url, sim, scanAs: ACCOUNT, socket: baileysTrustConfig(agents) }).start()
    await driver.waitOpen()
  })
  after(async () => {
    await driver.stop()
    await agents.close()
    await sim.stop()
  })

  const sendAndDecrypt = async (content: AnyMessageContent, kind: 'image' | 'video' | 'audio' | 'document') => {
    const message = await driver.socket.sendMessage(ALICE_JID, content)
    const sent = await sim.waitForSent(m => m.id === message?.key.id)
    const copy = sent.decrypted.find(c => c.jid.startsWith(ALICE))?.message
    const media = copy?.[`${kind}Message`]
    assert.ok(media, `recipient decrypted no ${kind}Message`)
    return { copy, bytes: await sim.media.decryptMessageMedia(media, kind) }
  }

  it('an uploaded image decrypts to the original bytes, with its caption and type', async () => {
    const png = await QRCode.toBuffer('https://example.test/image', { type: 'png', width: 256 })
    const { copy, bytes } = await sendAndDecrypt({ image: png, caption: 'an image', mimetype: 'image/png' }, 'image')
    assert.equal(sha256(bytes), sha256(png))
    assert.equal(copy?.imageMessage?.caption, 'an image')
    assert.equal(copy?.imageMessage?.mimetype, 'image/png')
  })

  it('an uploaded video decrypts to the original bytes', async () => {
    const video = randomBytes(300_000)
    const { copy, bytes } = await sendAndDecrypt({ video, caption: 'a video', mimetype: 'video/mp4' }, 'video')
    assert.equal(sha256(bytes), sha256(video))
    assert.equal(copy?.videoMessage?.caption, 'a video')
  })

  it('an uploaded voice note decrypts to the original bytes and stays a voice note', async () => {
    const audio = randomBytes(40_000)
    const { copy, bytes } = await sendAndDecrypt({ audio, ptt: true, seconds: 3, mimetype: 'audio/ogg; codecs=opus' }, 'audio')
    assert.equal(sha256(bytes), sha256(audio))
    assert.equal(copy?.audioMessage?.ptt, true)
  })

  it('an uploaded document decrypts to the original bytes, with its file name and type', async () => {
    const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(120_000)])
    const { copy, bytes } = await sendAndDecrypt({ document: pdf, fileName: 'invoice.pdf', mimetype: 'application/pdf' }, 'document')
    assert.equal(sha256(bytes), sha256(pdf))
    assert.equal(copy?.documentMessage?.fileName, 'invoice.pdf')
    assert.equal(copy?.documentMessage?.mimetype, 'application/pdf')
  })

  it('inbound media is downloadable and decryptable by Baileys', async () => {
    const original = randomBytes(80_000)
    const id = await sim.injectMedia(ALICE, ACCOUNT, 'document', original, { fileName: 'report.bin', mimetype: 'application/octet-stream' })
    const message = await driver.waitUntil(
      () => (driver.events['messages.upsert'] ?? []).flatMap(u => u.messages).find((m: WAMessage) => m.key.id === id),
      'inbound document'
    )
    assert.equal(message.message?.documentMessage?.fileName, 'report.bin')
    const downloaded = await downloadMediaMessage(message, 'buffer', { options: { dispatcher: agents.dispatcher } })
    assert.equal(sha256(downloaded), sha256(original))
  })
})
