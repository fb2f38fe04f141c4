import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { Curve, getBinaryNodeChild, proto, S_WHATSAPP_NET, WA_ADV_ACCOUNT_SIG_PREFIX, WA_ADV_DEVICE_SIG_PREFIX } from '@whiskeysockets/baileys'
import type { BinaryNode } from '@whiskeysockets/baileys'
import type { Account } from './directory.ts'
import { verifyXEdDSA } from './xeddsa.ts'

export type PairingQr = {
  ref: string
  noiseKey: Buffer
  identityKey: Buffer
  advSecret: Buffer
  platformId: string
}

const QR_PREFIX = 'https://wa.me/settings/linked_devices#'

/** Reads what a phone's camera reads from a linking QR code. */
export const parsePairingQr = (qr: string): PairingQr => {
  if (!qr.startsWith(QR_PREFIX)) throw new Error('not a WhatsApp linking QR code')
  const parts = qr.slice(QR_PREFIX.length).split(',')
  const [ref, noise, identity, adv, platformId] = parts
  if (parts.length !== 5 || !ref || !noise || !identity || !adv || !platformId) {
    throw new Error('linking QR code must have five comma-separated fields')
  }
  return {
    ref,
    noiseKey: Buffer.from(noise, 'base64'),
    identityKey: Buffer.from(identity, 'base64'),
    advSecret: Buffer.from(adv, 'base64'),
    platformId
  }
}

export const newPairingRefs = (count: number): string[] => Array.from({ length: count }, () => `2@${randomBytes(24).toString('base64')}`)

export const pairDeviceNode = (id: string, refs: string[]): BinaryNode => ({
  tag: 'iq',
  attrs: { from: S_WHATSAPP_NET, type: 'set', id, xmlns: 'md' },
  content: [{ tag: 'pair-device', attrs: {}, content: refs.map(ref => ({ tag: 'ref', attrs: {}, content: Buffer.from(ref) })) }]
})

/**
 * The phone's `pair-success`: an account-signed device identity, HMAC'd with the secret the
 * companion shared through the QR code (or derived in the pairing-code exchange).
 */
export const pairSuccessNode = (input: {
  id: string
  account: Account
  deviceId: number
  keyIndex: number
  companionIdentityKey: Uint8Array
  advSecret: Uint8Array
}): BinaryNode => {
  const { account, deviceId, keyIndex } = input
  const details = proto.ADVDeviceIdentity.encode({
    rawId: Number.parseInt(account.lid.slice(-9), 10),
    timestamp: Math.floor(Date.now() / 1000),
    keyIndex
  }).finish()
  const accountSignature = Curve.sign(account.phone.identity.private, Buffer.concat([WA_ADV_ACCOUNT_SIG_PREFIX, details, input.companionIdentityKey]))
  const signedIdentity = proto.ADVSignedDeviceIdentity.encode({
    details,
    accountSignatureKey: account.phone.identity.public,
    accountSignature
  }).finish()
  const hmac = createHmac('sha256', input.advSecret).update(signedIdentity).digest()
  return {
    tag: 'iq',
    attrs: { from: S_WHATSAPP_NET, type: 'set', id: input.id, xmlns: 'md', t: `${Math.floor(Date.now() / 1000)}` },
    content: [
      {
        tag: 'pair-success',
        attrs: {},
        content: [
          { tag: 'device-identity', attrs: {}, content: proto.ADVSignedDeviceIdentityHMAC.encode({ details: signedIdentity, hmac }).finish() },
          { tag: 'platform', attrs: { name: 'android' } },
          { tag: 'device', attrs: { jid: `${account.pn}:${deviceId}@s.whatsapp.net`, lid: `${account.lid}:${deviceId}@lid` } }
        ]
      }
    ]
  }
}

/**
 * Checks the companion's countersignature in its `pair-device-sign` answer: it must sign the
 * details the phone issued, its own identity and the account key, with its identity key.
 */
export const verifyPairDeviceSign = (answer: BinaryNode, account: Account, companionIdentityKey: Uint8Array): number => {
  const identityNode = getBinaryNodeChild(getBinaryNodeChild(answer, 'pair-device-sign'), 'device-identity')
  if (!(identityNode?.content instanceof Uint8Array)) throw new Error('pair-device-sign without a device identity')
  const signed = proto.ADVSignedDeviceIdentity.decode(identityNode.content)
  if (!signed.details || !signed.deviceSignature || !signed.accountSignature) throw new Error('incomplete device identity')
  const accountOk = verifyXEdDSA(
    account.phone.identity.public,
    Buffer.concat([WA_ADV_ACCOUNT_SIG_PREFIX, signed.details, companionIdentityKey]),
    signed.accountSignature
  )
  const deviceOk = verifyXEdDSA(
    companionIdentityKey,
    Buffer.concat([WA_ADV_DEVICE_SIG_PREFIX, signed.details, companionIdentityKey, account.phone.identity.public]),
    signed.deviceSignature
  )
  if (!accountOk || !deviceOk) throw new Error('device identity signature does not verify')
  return proto.ADVDeviceIdentity.decode(signed.details).keyIndex ?? 0
}

export const sameKey = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && timingSafeEqual(a, b)
