/**
 * What the session host adds to Baileys 7.0.0-rc14 on its public socket API for the stanzas
 * WhatsApp's server added in 2026 (SERVER-2026.md). The parts only a change inside Baileys can
 * reach are in `patches/` (see the README).
 */
import { randomBytes } from 'node:crypto'
import { buildAckStanza, getBinaryNodeChild, S_WHATSAPP_NET } from '@whiskeysockets/baileys'
import type { BinaryNode, WASocket } from '@whiskeysockets/baileys'
import type { Logger } from 'pino'

const QR_PREFIX = 'https://wa.me/settings/linked_devices#'

const fromServer = (node: BinaryNode): boolean => node.attrs.from === S_WHATSAPP_NET || node.attrs.from === 's.whatsapp.net'

/** A linking QR (`…#ref,noise,identity,adv,platform`) with its fourth field, the ADV secret, replaced. */
export const withAdvSecret = (qr: string, advSecret: string): string => {
  if (!qr.startsWith(QR_PREFIX)) return qr
  const fields = qr.slice(QR_PREFIX.length).split(',')
  if (fields.length !== 5) return qr
  fields[3] = advSecret
  return QR_PREFIX + fields.join(',')
}

/**
 * Since about 2026-07-28 WhatsApp retires the QR's ADV secret once the phone scans it
 * (`companion_reg_refresh`, child `companion_reg_refresh` or `pair-device-rotate-qr`). rc14 has no
 * handler and keeps showing the stale secret, so the phone says "couldn't link device". This
 * rotates `creds.advSecretKey` (what `pair-success` is checked against), persists it through
 * `creds.update`, and tells the caller, which shows the same QR again with the new secret. The ack
 * is Baileys' own notification ack (patched: rc14 threw on it before login).
 */
export const handleQrRotation = (socket: WASocket, rotated: () => void): void => {
  socket.ws.on('CB:notification,type:companion_reg_refresh', (node: BinaryNode) => {
    const refresh = getBinaryNodeChild(node, 'companion_reg_refresh') ?? getBinaryNodeChild(node, 'pair-device-rotate-qr')
    // A pairing-code link in progress (creds.me set) derived its secret in the exchange and keeps it.
    if (!refresh || !fromServer(node) || socket.authState.creds.me) return
    socket.ev.emit('creds.update', { advSecretKey: randomBytes(32).toString('base64') })
    rotated()
  })
}

/**
 * Since July 2026 status updates arrive as top-level `<status>` stanzas; the server redelivers
 * one that is not acked and recycles the stream about every 50 minutes. rc14 registers no handler
 * for the tag: each gets the transport ack (`class="status"`). An OTP gateway shows no status
 * updates, so nothing else is done with them.
 */
export const ackStatusStanzas = (socket: WASocket, log: Logger): void => {
  socket.ws.on('CB:status', (node: BinaryNode) => {
    socket.sendNode(buildAckStanza(node, undefined, socket.authState.creds.me?.id)).catch(error => log.debug({ err: error }, 'could not ack a status stanza'))
  })
}

/**
 * Some accounts must confirm a new link with a passkey (WebAuthn, rpId whatsapp.com): the server
 * sends `passkey_prologue_request` (or `crsc_continuation`) instead of completing it. Nothing on
 * a server can answer that, and rc14 ignores it, so the link would hang: tell the caller.
 */
export const detectPasskeyRequest = (socket: WASocket, requested: () => void): void => {
  for (const type of ['passkey_prologue_request', 'crsc_continuation']) {
    socket.ws.on(`CB:notification,type:${type}`, (node: BinaryNode) => {
      if (fromServer(node)) requested()
    })
  }
}
