import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync } from 'node:fs'
import { startInProcessStack } from '../support/in-process-stack.ts'
import { baileysTempFiles, mediaSamples, sha256, startFileServer } from '../support/media-fixtures.ts'

const ACCOUNT = '15550070001'
const ALICE_LOCAL = '081234567800'
const ALICE_PN = '6281234567800'
const KINDS = ['image', 'video', 'audio', 'document'] as const
type Kind = (typeof KINDS)[number]

/**
 * Media from the API to the bytes the emulator's recipient decrypts: the host reads the upload,
 * fetches URLs under its policy, checks the content and spools nothing for long. What the gateway
 * alone decides is tested on a fake host in gateway/routes/media-messages.test.ts.
 */
describe('media messages through the gateway, by upload and by URL', () => {
  let stack: Awaited<ReturnType<typeof startInProcessStack>>
  let files: Awaited<ReturnType<typeof startFileServer>>
  let samples: Awaited<ReturnType<typeof mediaSamples>>
  let sender: string
  const baileysFilesBefore = new Set(baileysTempFiles())

  before(async () => {
    files = await startFileServer()
    // The loopback file server is allowed explicitly, as MEDIA_URL_ALLOW_HOSTS would allow it.
    stack = await startInProcessStack({ media: true, mediaAllowHosts: files.hostPort })
    await stack.linkSession('shop-m', ACCOUNT)
    samples = await mediaSamples()
    sender = await stack.token('messages:send')
  })
  after(async () => {
    await stack?.stop()
    await files?.stop()
  })

  const post = async (path: string, body: FormData | object) => {
    const init: RequestInit =
      body instanceof FormData
        ? { method: 'POST', headers: { authorization: `Bearer ${sender}` }, body }
        : { method: 'POST', headers: { authorization: `Bearer ${sender}`, 'content-type': 'application/json' }, body: JSON.stringify(body) }
    const response = await stack.gateway.request(path, init)
    return {
      status: response.status,
      body: (await response.json()) as { data: { messageId: string; to: string }; error: { code: string; details?: Record<string, unknown> } }
    }
  }

  const form = (kind: Kind, fields: Record<string, string>, file: { bytes: Buffer; name: string; type: string }) => {
    const data = new FormData()
    for (const [name, value] of Object.entries(fields)) data.append(name, value)
    data.append(kind, new Blob([file.bytes], { type: file.type }), file.name)
    return data
  }

  const received = async (messageId: string, kind: Kind) => {
    const sent = await stack.sim.waitForSent(m => m.id === messageId)
    const copy = sent.decrypted.find(c => c.jid.startsWith(ALICE_PN))?.message
    const media = copy?.[`${kind}Message`]
    assert.ok(media, `the recipient decrypted no ${kind}Message`)
    return { media, bytes: await stack.sim.media.decryptMessageMedia(media, kind) }
  }

  const fieldsFor = (kind: Kind): Record<string, string> =>
    kind === 'audio' ? { ptt: 'true' } : kind === 'document' ? { caption: `a ${kind}`, fileName: 'invoice-42.pdf' } : { caption: `a ${kind}` }

  const assertFields = (kind: Kind, media: { caption?: string | null; fileName?: string | null; mimetype?: string | null; ptt?: boolean | null }) => {
    assert.equal(media.mimetype, samples[kind].mimetype)
    if (kind === 'audio') assert.equal(media.ptt, true)
    else assert.equal(media.caption, `a ${kind}`)
    if (kind === 'document') assert.equal(media.fileName, 'invoice-42.pdf')
  }

  for (const kind of KINDS) {
    it(`sends an uploaded ${kind} that the recipient decrypts to the same bytes, with its fields`, async () => {
      const sample = samples[kind]
      const response = await post(
        `/api/messages/shop-m/${kind}`,
        form(kind, { to: ALICE_LOCAL, ...fieldsFor(kind) }, { bytes: sample.bytes, name: sample.name, type: sample.mimetype })
      )
      assert.equal(response.status, 200, JSON.stringify(response.body))
      assert.equal(response.body.data.to, `+${ALICE_PN}`)
      const { media, bytes } = await received(response.body.data.messageId, kind)
      assert.equal(sha256(bytes), sha256(sample.bytes))
      assertFields(kind, media)
    })

    it(`sends a ${kind} fetched from a URL that the recipient decrypts to the same bytes, with its fields`, async () => {
      const sample = samples[kind]
      const url = files.put(`${kind}-${sample.name}`, sample.bytes, sample.mimetype)
      const extra = Object.fromEntries(Object.entries(fieldsFor(kind)).map(([k, v]) => [k, k === 'ptt' ? v === 'true' : v]))
      const response = await post(`/api/messages/shop-m/${kind}`, { to: ALICE_LOCAL, url, ...extra })
      assert.equal(response.status, 200, JSON.stringify(response.body))
      const { media, bytes } = await received(response.body.data.messageId, kind)
      assert.equal(sha256(bytes), sha256(sample.bytes))
      assertFields(kind, media)
    })
  }

  it('takes the file name of a document from the upload when no fileName field is given', async () => {
    const sample = samples.document
    const response = await post(
      '/api/messages/shop-m/document',
      form('document', { to: ALICE_LOCAL }, { bytes: sample.bytes, name: 'report.pdf', type: 'application/pdf' })
    )
    assert.equal(response.status, 200)
    const { media } = await received(response.body.data.messageId, 'document')
    assert.equal((media as { fileName?: string }).fileName, 'report.pdf')
  })

  it('refuses content that does not match the route or the declared type with 415', async () => {
    const cases: [Kind, FormData | object][] = [
      ['image', form('image', { to: ALICE_LOCAL }, { bytes: samples.document.bytes, name: 'fake.png', type: 'image/png' })],
      ['video', form('video', { to: ALICE_LOCAL }, { bytes: samples.image.bytes, name: 'fake.mp4', type: 'video/mp4' })],
      ['audio', { to: ALICE_LOCAL, url: files.put('fake.ogg', samples.document.bytes, 'audio/ogg') }],
      [
        'document',
        form('document', { to: ALICE_LOCAL, mimetype: 'application/pdf' }, { bytes: samples.image.bytes, name: 'fake.pdf', type: 'application/pdf' })
      ],
      ['document', form('document', { to: ALICE_LOCAL }, { bytes: Buffer.from('just text, no PDF signature'), name: 'fake.pdf', type: 'application/pdf' })]
    ]
    for (const [kind, body] of cases) {
      const response = await post(`/api/messages/shop-m/${kind}`, body)
      assert.equal(response.status, 415, `${kind}: ${JSON.stringify(response.body)}`)
      assert.equal(response.body.error.code, 'UNSUPPORTED_MEDIA_TYPE')
    }
  })

  it('refuses URLs to loopback, private, link-local and metadata addresses, and redirects to them', async () => {
    const allowed = files.put('ok.png', samples.image.bytes, 'image/png')
    const targets = [
      `http://127.0.0.1:${files.port + 1}/x.png`,
      'http://10.0.0.1/x.png',
      'http://169.254.169.254/latest/meta-data/',
      'http://[::1]/x.png',
      'http://[::ffff:127.0.0.1]/x.png',
      `http://localhost:${files.port}/files/ok.png`,
      `http://${files.hostPort}/redirect?to=${encodeURIComponent('http://127.0.0.1:9/x.png')}`,
      `http://${files.hostPort}/redirect?to=${encodeURIComponent('http://[::1]:9/x.png')}`
    ]
    for (const url of targets) {
      const response = await post('/api/messages/shop-m/image', { to: ALICE_LOCAL, url })
      assert.equal(response.status, 422, url)
      assert.equal(response.body.error.code, 'URL_NOT_ALLOWED', url)
    }
    for (const url of ['file:///etc/passwd', 'ftp://example.com/x.png', 'gopher://example.com/']) {
      const response = await post('/api/messages/shop-m/image', { to: ALICE_LOCAL, url })
      assert.equal(response.body.error.code, 'URL_NOT_ALLOWED', url)
    }
    // The same file through the allowed host still goes out, so the refusals above are the policy's.
    assert.equal((await post('/api/messages/shop-m/image', { to: ALICE_LOCAL, url: allowed })).status, 200)
  })

  it('says why a URL could not be fetched: an error status or a redirect loop', async () => {
    const missing = await post('/api/messages/shop-m/image', { to: ALICE_LOCAL, url: `http://${files.hostPort}/files/nothing.png` })
    assert.equal(missing.status, 422)
    assert.equal(missing.body.error.code, 'URL_FETCH_FAILED')
    assert.equal(missing.body.error.details?.status, 404)
    const loop = `http://${files.hostPort}/redirect?to=${encodeURIComponent(`http://${files.hostPort}/redirect?to=/redirect`)}`
    const looping = await post('/api/messages/shop-m/image', { to: ALICE_LOCAL, url: loop })
    assert.equal(looping.body.error.code, 'URL_FETCH_FAILED')
  })

  it('refuses a send to a number that is not on WhatsApp with 422 NOT_ON_WHATSAPP, fetching nothing', async () => {
    stack.sim.setNotOnWhatsApp('6281234567899')
    const before = stack.sim.sent.length
    const image = await post(
      '/api/messages/shop-m/image',
      form('image', { to: '081234567899' }, { bytes: samples.image.bytes, name: 'a.png', type: 'image/png' })
    )
    assert.equal(image.status, 422)
    assert.equal(image.body.error.code, 'NOT_ON_WHATSAPP')
    const byUrl = await post('/api/messages/shop-m/image', { to: '081234567899', url: files.put('n.png', samples.image.bytes, 'image/png') })
    assert.equal(byUrl.body.error.code, 'NOT_ON_WHATSAPP')
    const text = await post('/api/messages/shop-m/text', { to: '+62 812-3456-7899', text: 'hello?' })
    assert.equal(text.status, 422)
    assert.equal(text.body.error.code, 'NOT_ON_WHATSAPP')
    assert.equal(stack.sim.sent.length, before)
  })

  it('answers a body that is neither multipart nor JSON with 415, and an upload without its file with 400', async () => {
    const plain = await stack.gateway.request('/api/messages/shop-m/image', {
      method: 'POST',
      headers: { authorization: `Bearer ${sender}`, 'content-type': 'text/plain' },
      body: 'x'
    })
    assert.equal(plain.status, 415)
    const data = new FormData()
    data.append('to', ALICE_LOCAL)
    data.append('document', new Blob([samples.image.bytes]), 'wrong-field.png')
    const missing = await post('/api/messages/shop-m/image', data)
    assert.equal(missing.status, 400)
    assert.equal(missing.body.error.code, 'VALIDATION_ERROR')
  })

  it('leaves no file behind in the spool, outbox or temporary folder', () => {
    assert.deepEqual(stack.spool.files(), [])
    assert.deepEqual(readdirSync(stack.outboxDir), [])
    assert.deepEqual(
      baileysTempFiles().filter(name => !baileysFilesBefore.has(name)),
      []
    )
  })
})
