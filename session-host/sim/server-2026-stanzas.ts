/**
 * The stanzas WhatsApp's server added in 2026 that Baileys 7.0.0-rc14 was not written for
 * (`../shared/wa-sim/SERVER-2026.md`): the ADV-secret refresh after a QR scan, the passkey step
 * on gated accounts, and status updates as top-level `<status>` stanzas. Pure builders.
 */
import { randomBytes } from 'node:crypto'
import { S_WHATSAPP_NET } from '@whiskeysockets/baileys'
import type { BinaryNode } from '@whiskeysockets/baileys'
import { now } from './stanza-attrs.ts'

/** The two children seen on the refresh notification; WA Web treats them alike. */
export type QrRefreshChild = 'companion_reg_refresh' | 'pair-device-rotate-qr'

/**
 * Sent to a registering companion after the phone scanned its QR: retire the ADV secret the QR
 * carried and show the same ref again with a new one. No ref is consumed and no other key changes.
 */
export const companionRegRefreshNotification = (input: { id: string; child: QrRefreshChild }): BinaryNode => ({
  tag: 'notification',
  attrs: { from: S_WHATSAPP_NET, type: 'companion_reg_refresh', id: input.id, t: now() },
  content: [{ tag: input.child, attrs: {} }]
})

/**
 * Sent instead of completing the link when the account is protected by a passkey: the companion
 * must run a WebAuthn assertion (rpId whatsapp.com) and answer with a `passkey_prologue` iq.
 */
export const passkeyPrologueRequest = (input: { id: string }): BinaryNode => ({
  tag: 'notification',
  attrs: { from: S_WHATSAPP_NET, type: 'passkey_prologue_request', id: input.id, t: now() },
  content: [
    {
      tag: 'passkey_request_options',
      attrs: {},
      content: Buffer.from(
        JSON.stringify({
          challenge: randomBytes(32).toString('base64url'),
          rpId: 'whatsapp.com',
          timeout: 600_000,
          userVerification: 'required',
          allowCredentials: []
        })
      )
    }
  ]
})

/**
 * A contact's status update as the server delivers it since July 2026: the old
 * `<message from=status@broadcast>` shape under a top-level `<status>` tag. It stays queued for
 * the device until acked with `<ack class="status">`.
 */
export const statusStanza = (input: { id: string; participant: string; pushName: string; encType: string; ciphertext: Uint8Array }): BinaryNode => ({
  tag: 'status',
  attrs: { from: 'status@broadcast', participant: input.participant, id: input.id, t: now(), type: 'text', notify: input.pushName },
  content: [{ tag: 'enc', attrs: { v: '2', type: input.encType }, content: input.ciphertext }]
})

/** How the server ends a stream that owes it a status ack: a stream error naming the stanza. */
export const statusRecycleError = (status: BinaryNode): BinaryNode => ({
  tag: 'stream:error',
  attrs: {},
  content: [{ tag: 'ack', attrs: { class: 'status', id: status.attrs.id ?? '', type: status.attrs.type ?? 'text' } }]
})
