import QRCode from 'qrcode'
import type { QRCodeToDataURLOptionsOther } from 'qrcode'

/**
 * Every row Paeth-filtered: pngjs otherwise tries all five filters on every row to pick one, which
 * was half of drawing a code (9.6 → 4.4 ms for a linking QR, and the PNG 3% larger). qrcode hands
 * `rendererOpts` to pngjs, which takes `filterType`; @types/qrcode lists only the deflate options.
 * Made for each drawing: qrcode writes the image's size into the options it is given.
 */
const pngOptions = (): QRCodeToDataURLOptionsOther & { rendererOpts: { filterType: number } } => ({ rendererOpts: { filterType: 4 } })

/** QR codes remembered: more than the sessions showing one at a time on most hosts. */
const REMEMBERED = 256

/**
 * The PNG data URL of a QR code, drawn once per code: a dashboard, the QR page and a linking
 * client poll every second or faster, and drawing the PNG is most of what such a poll costs.
 * `draw` is qrcode's by default.
 */
export const createQrImages = (draw: (qr: string) => Promise<string> = qr => QRCode.toDataURL(qr, pngOptions())) => {
  const drawn = new Map<string, Promise<string>>()
  return (qr: string): Promise<string> => {
    let image = drawn.get(qr)
    if (image === undefined) {
      if (drawn.size >= REMEMBERED) drawn.delete(drawn.keys().next().value!)
      image = draw(qr)
      // A failed drawing is tried again next time, not remembered.
      image.catch(() => drawn.delete(qr))
      drawn.set(qr, image)
    }
    return image
  }
}
