import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { inflateSync } from 'node:zlib'
import QRCode from 'qrcode'
import { createQrImages } from './qr-images.ts'

/** A PNG's width, height and the filter byte that starts each row of its (8-bit RGBA) image data. */
const pngRows = (png: Buffer): { width: number; height: number; filters: number[] } => {
  let offset = 8
  let header: Buffer | undefined
  const data: Buffer[] = []
  while (offset < png.length) {
    const length = png.readUInt32BE(offset)
    const type = png.toString('latin1', offset + 4, offset + 8)
    const body = png.subarray(offset + 8, offset + 8 + length)
    if (type === 'IHDR') header = body
    if (type === 'IDAT') data.push(body)
    offset += 12 + length
  }
  const width = header!.readUInt32BE(0)
  const height = header!.readUInt32BE(4)
  const pixels = inflateSync(Buffer.concat(data))
  const stride = 1 + width * 4
  assert.equal(pixels.length, stride * height)
  return { width, height, filters: Array.from({ length: height }, (_, row) => pixels[row * stride]!) }
}

describe('QR images', () => {
  it('draws each code once, the real PNG by default', async () => {
    const drawn: string[] = []
    const images = createQrImages(async qr => {
      drawn.push(qr)
      return `image of ${qr}`
    })
    assert.equal(await images('2@a'), 'image of 2@a')
    assert.equal(await images('2@a'), 'image of 2@a')
    assert.equal(await images('2@b'), 'image of 2@b')
    assert.deepEqual(drawn, ['2@a', '2@b'])
    assert.match(await createQrImages()('2@ref,key'), /^data:image\/png;base64,/)
  })

  it('draws the PNG with one filter for every row instead of trying all five on each', async () => {
    const qr = `2@${'r'.repeat(60)},${'k'.repeat(44)},${'i'.repeat(44)},${'a'.repeat(44)},1`
    const url = await createQrImages()(qr)
    const { width, height, filters } = pngRows(Buffer.from(url.slice('data:image/png;base64,'.length), 'base64'))
    // qrcode's defaults: 4 pixels a module and a 4-module margin on each side.
    const side = (QRCode.create(qr).modules.size + 8) * 4
    assert.deepEqual([width, height], [side, side])
    assert.deepEqual(new Set(filters), new Set([4]))
  })

  it('draws again after a failure, and forgets the oldest of many codes', async () => {
    let fail = true
    let calls = 0
    const images = createQrImages(async qr => {
      calls++
      if (fail) throw new Error('no canvas')
      return qr
    })
    await assert.rejects(images('2@x'))
    await new Promise(resolve => setImmediate(resolve))
    fail = false
    assert.equal(await images('2@x'), '2@x')
    assert.equal(calls, 2)
    for (let n = 0; n < 256; n++) await images(`2@${n}`)
    await images('2@x')
    assert.equal(calls, 2 + 256 + 1, 'the first code was forgotten')
  })
})
