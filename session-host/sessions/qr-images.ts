import QRCode from 'qrcode'

/** QR codes remembered: more than the sessions showing one at a time on most hosts. */
const REMEMBERED = 256

/**
 * The PNG data URL of a QR code, drawn once per code: a dashboard, the QR page and a linking
 * client poll every second or faster, and drawing the PNG is most of what such a poll costs.
 * `draw` is qrcode's by default.
 */
export const createQrImages = (draw: (qr: string) => Promise<string> = qr => QRCode.toDataURL(qr)) => {
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
