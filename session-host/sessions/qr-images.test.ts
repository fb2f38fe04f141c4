import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createQrImages } from './qr-images.ts'

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
