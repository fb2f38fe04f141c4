import type { SessionStatus } from '../../shared/sessions.ts'
import { randomBytes } from 'node:crypto'
import { aesEncryptCTR, bytesToCrockford, derivePairingCodeKey, getCompanionPlatformId, jidEncode, S_WHATSAPP_NET } from '@whiskeysockets/baileys'
import type { WABrowserDescription, WASocket } from '@whiskeysockets/baileys'
import type { ServerError } from '../../shared/sessions.ts'
import { pairingCodeDisplay } from './companion-device.ts'

/** How long WhatsApp has to answer `companion_hello` before the caller hears it did not. */
const ANSWER_TIMEOUT_MS = 20_000

/** WhatsApp answered `companion_hello` with an error: the code it would have matched does not exist. */
export class PairingCodeRefusedError extends Error {
  constructor(readonly serverError: ServerError) {
    super(`WhatsApp refused the pairing-code request (${serverError.code} ${serverError.text})`)
    this.name = 'PairingCodeRefusedError'
  }
}

/** WhatsApp did not answer `companion_hello`: the request timed out or the connection closed. */
export class PairingCodeUnansweredError extends Error {
  constructor() {
    super('WhatsApp did not answer the pairing-code request')
    this.name = 'PairingCodeUnansweredError'
  }
}

/**
 * Asks WhatsApp for a pairing code the way rc14's `requestPairingCode` does, with what today's
 * server needs (SERVER-2026.md §2): it waits for the answer to `companion_hello` (rc14 sends it
 * and returns a code the server may have refused), and sends the accepted `Browser (OS)` display
 * (rc14 sends the label).
 * Only an accepted request becomes the companion's state (`pairingCode`, `me`), which rc14's
 * `primary_hello` handler reads; a refused one leaves the creds as they were, so QR linking goes on.
 */
export const requestPairingCode = async (socket: WASocket, input: { phoneNumber: string; browser: WABrowserDescription }): Promise<string> => {
  const { creds } = socket.authState
  const code = bytesToCrockford(randomBytes(5))
  const jid = jidEncode(input.phoneNumber, 's.whatsapp.net')
  const salt = randomBytes(32)
  const iv = randomBytes(16)
  const wrappedEphemeral = Buffer.concat([salt, iv, aesEncryptCTR(creds.pairingEphemeralKeyPair.public, await derivePairingCodeKey(code, salt), iv)])
  const answer = await socket
    .query(
      {
        tag: 'iq',
        attrs: { to: S_WHATSAPP_NET, type: 'set', id: socket.generateMessageTag(), xmlns: 'md' },
        content: [
          {
            tag: 'link_code_companion_reg',
            attrs: { jid, stage: 'companion_hello', should_show_push_notification: 'true' },
            content: [
              { tag: 'link_code_pairing_wrapped_companion_ephemeral_pub', attrs: {}, content: wrappedEphemeral },
              { tag: 'companion_server_auth_key_pub', attrs: {}, content: creds.noiseKey.public },
              { tag: 'companion_platform_id', attrs: {}, content: getCompanionPlatformId(input.browser) },
              { tag: 'companion_platform_display', attrs: {}, content: pairingCodeDisplay(input.browser) },
              { tag: 'link_code_pairing_nonce', attrs: {}, content: '0' }
            ]
          }
        ]
      },
      ANSWER_TIMEOUT_MS
    )
    .catch((error: unknown) => {
      // Baileys turns an <error code text/> answer into a Boom whose data is the numeric code.
      const boom = error as { isBoom?: boolean; data?: unknown; message?: string; output?: { statusCode?: number } }
      if (boom.isBoom && typeof boom.data === 'number') throw new PairingCodeRefusedError({ code: boom.data, text: boom.message ?? '' })
      if (boom.isBoom) throw new PairingCodeUnansweredError()
      throw error
    })
  if (!answer) throw new PairingCodeUnansweredError()
  socket.ev.emit('creds.update', { pairingCode: code, me: { id: jid, name: '~' } })
  return code
}

/** A pairing code was asked for while no registration could take it. */
export class RegistrationNotReadyError extends Error {
  constructor(readonly status: SessionStatus) {
    super('the session is not ready to link')
    this.name = 'RegistrationNotReadyError'
  }
}
