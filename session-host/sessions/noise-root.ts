import { WA_CERT_DETAILS } from '@whiskeysockets/baileys'

/** WhatsApp's own root, as the pinned Baileys ships it. */
export const WHATSAPP_NOISE_ROOT = Buffer.from(WA_CERT_DETAILS.PUBLIC_KEY)

/**
 * Makes every session of this process accept a noise certificate chain signed by `publicKey`
 * instead of WhatsApp's root: for a host whose sessions all connect to a WhatsApp emulator (sandbox
 * mode, or WA_WEBSOCKET_URL with WA_NOISE_ROOT_KEY). Baileys reads `WA_CERT_DETAILS.PUBLIC_KEY` on
 * every handshake, so the emulator's chain then verifies as WhatsApp's does, at native speed, rather
 * than passing only because Baileys ignores a failed check (wa-sim PROTOCOL.md §1).
 */
export const trustNoiseRoot = (publicKey: Uint8Array): void => {
  if (publicKey.length !== WA_CERT_DETAILS.PUBLIC_KEY.length)
    throw new Error(`a noise root key is ${WA_CERT_DETAILS.PUBLIC_KEY.length} bytes, not ${publicKey.length}`)
  WA_CERT_DETAILS.PUBLIC_KEY.set(publicKey)
}
