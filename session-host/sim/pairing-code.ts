/**
 * The simulated phone's side of pairing-code login (Baileys' `sock.requestPairingCode`).
 *
 * Flow, as Baileys 7.0.0-rc14 drives it (lib/Socket/socket.js, lib/Socket/messages-recv.js):
 *  1. companion → server: iq set `link_code_companion_reg stage=companion_hello` (sent with sendNode,
 *     Baileys does not wait for the answer). Server answers `companionHelloResult`.
 *  2. the user types the code on the phone; phone → companion: `linkCodeNotification`
 *     (stage=primary_hello) with the phone's wrapped ephemeral key and identity key.
 *  3. companion → server: iq set `link_code_companion_reg stage=companion_finish` (sent with query:
 *     Baileys waits for the answer, up to 60 s, before it acks the notification). Server answers
 *     `companionFinishResult`; the phone opens the key bundle (`openCompanionFinish`) and gets the
 *     adv secret that authenticates the later `pair-success`.
 *
 * Pure functions: no I/O beyond random bytes.
 */
import { randomBytes } from 'node:crypto'
import { aesDecryptCTR, aesDecryptGCM, aesEncryptCTR, Curve, derivePairingCodeKey, getBinaryNodeChild, hkdf, S_WHATSAPP_NET } from '@whiskeysockets/baileys'
import type { BinaryNode, KeyPair } from '@whiskeysockets/baileys'

/** Alphabet of Baileys' `bytesToCrockford` (not standard Crockford: no 0, I, O, U). */
export const PAIRING_CODE_ALPHABET = '123456789ABCDEFGHJKLMNPQRSTVWXYZ'
export const PAIRING_CODE_LENGTH = 8

// Wire layouts (socket.js generatePairingKey, messages-recv.js decipherLinkPublicKey and the
// link_code_companion_reg notification handler).
const SALT_LENGTH = 32
const CTR_IV_LENGTH = 16
const KEY_LENGTH = 32
const WRAPPED_KEY_LENGTH = SALT_LENGTH + CTR_IV_LENGTH + KEY_LENGTH // 80
const GCM_IV_LENGTH = 12
const GCM_TAG_LENGTH = 16
const BUNDLE_PLAINTEXT_LENGTH = KEY_LENGTH * 3 // companion identity | primary identity | random
const BUNDLE_KEY_INFO = 'link_code_pairing_key_bundle_encryption_key'
const ADV_SECRET_INFO = 'adv_secret'

/**
 * The key bundle did not decrypt: the companion derived a different ephemeral shared key, which in
 * practice means the code typed on the phone is not the one Baileys generated.
 */
export class WrongPairingCodeError extends Error {
  constructor() {
    super('link code key bundle does not decrypt: the pairing code entered on the phone is wrong')
    this.name = 'WrongPairingCodeError'
  }
}

/**
 * What the user types: Baileys returns the code without separator, WhatsApp shows it as XXXX-XXXX.
 * Baileys feeds its code verbatim to PBKDF2, so only separators are dropped; case is kept because a
 * custom code (`requestPairingCode(pn, 'abcd1234')`) is used as given.
 */
export const normalizePairingCode = (typed: string): string => typed.replace(/[\s-]/g, '')

/** A fresh pairing ref; sent as bytes (a short digit-only string would be nibble-packed, see `bytes`). */
export const newLinkCodePairingRef = (): Buffer => Buffer.from(`2@${randomBytes(24).toString('base64')}`)

export type CompanionHello = {
  iqId: string
  /** `PN@s.whatsapp.net`, the number given to `requestPairingCode`. */
  jid: string
  phoneNumber: string
  wrappedCompanionEphemeralPub: Buffer
  /** The companion's noise static key (`creds.noiseKey.public`). */
  companionNoiseKeyPub: Buffer
  platformId: string
  platformDisplay: string
  showPushNotification: boolean
}

/** Reads Baileys' `companion_hello` iq (after the binary codec, short strings come back as strings). */
export const parseCompanionHello = (iq: BinaryNode): CompanionHello => {
  const reg = linkCodeRegChild(iq, 'companion_hello')
  const jid = requireAttr(reg, 'jid')
  return {
    iqId: requireAttr(iq, 'id'),
    jid,
    phoneNumber: jid.split('@')[0]?.split(':')[0] ?? '',
    wrappedCompanionEphemeralPub: requireBytes(reg, 'link_code_pairing_wrapped_companion_ephemeral_pub', WRAPPED_KEY_LENGTH),
    companionNoiseKeyPub: requireBytes(reg, 'companion_server_auth_key_pub', KEY_LENGTH),
    platformId: childText(reg, 'companion_platform_id'),
    platformDisplay: childText(reg, 'companion_platform_display'),
    showPushNotification: reg.attrs.should_show_push_notification === 'true'
  }
}

/**
 * Server's answer to `companion_hello`, carrying the pairing ref as whatsmeow expects it. Baileys
 * sent the hello with sendNode and ignores this answer: it only learns the ref from the notification.
 */
export const companionHelloResult = (input: { iqId: string; ref: Uint8Array }): BinaryNode => ({
  tag: 'iq',
  attrs: { from: S_WHATSAPP_NET, type: 'result', id: input.iqId },
  content: [
    {
      tag: 'link_code_companion_reg',
      attrs: {},
      content: [{ tag: 'link_code_pairing_ref', attrs: {}, content: bytes(input.ref) }]
    }
  ]
})

/**
 * The phone recovers the companion's ephemeral public key from `salt32 | iv16 | AES-CTR(pub)`.
 * AES-CTR has no MAC and any 32 bytes are a valid X25519 key, so a wrong code yields a plausible
 * but wrong key here: it is only detected when the companion's key bundle fails AES-GCM in
 * `openCompanionFinish` (WrongPairingCodeError).
 */
export const unwrapCompanionEphemeral = async (wrapped: Uint8Array, code: string): Promise<Buffer> => {
  if (wrapped.length !== WRAPPED_KEY_LENGTH) {
    throw new Error(`wrapped companion ephemeral key must be ${WRAPPED_KEY_LENGTH} bytes, got ${wrapped.length}`)
  }
  const salt = Buffer.from(wrapped.subarray(0, SALT_LENGTH))
  const iv = wrapped.subarray(SALT_LENGTH, SALT_LENGTH + CTR_IV_LENGTH)
  const key = await derivePairingCodeKey(code, salt)
  return aesDecryptCTR(wrapped.subarray(SALT_LENGTH + CTR_IV_LENGTH), key, iv)
}

/** Wraps a key the way Baileys' decipherLinkPublicKey unwraps it: salt32 | iv16 | AES-CTR(pub). */
const wrapWithCode = async (publicKey: Uint8Array, code: string): Promise<Buffer> => {
  const salt = randomBytes(SALT_LENGTH)
  const iv = randomBytes(CTR_IV_LENGTH)
  const key = await derivePairingCodeKey(code, salt)
  return Buffer.concat([salt, iv, aesEncryptCTR(publicKey, key, iv)])
}

/** The phone's fresh ephemeral key pair, wrapped with the code the user typed. */
export const makePrimaryHello = async (input: { code: string }): Promise<{ primaryEphemeral: KeyPair; wrappedPrimaryEphemeralPub: Buffer }> => {
  const primaryEphemeral = Curve.generateKeyPair()
  return { primaryEphemeral, wrappedPrimaryEphemeralPub: await wrapWithCode(primaryEphemeral.public, input.code) }
}

/**
 * The notification Baileys reacts to. It needs `type` (dispatch), `id` (echoed in its ack) and
 * `from`; no `offline` attribute (that would queue it behind the offline batch). `t` is only read
 * for notifications that become messages, but real ones carry it.
 */
export const linkCodeNotification = (input: {
  id: string
  ref: Uint8Array
  phoneIdentityPub: Uint8Array
  wrappedPrimaryEphemeralPub: Uint8Array
  /** Unix seconds; defaults to now. */
  t?: number
}): BinaryNode => ({
  tag: 'notification',
  attrs: {
    from: S_WHATSAPP_NET,
    type: 'link_code_companion_reg',
    id: input.id,
    t: `${input.t ?? Math.floor(Date.now() / 1000)}`
  },
  content: [
    {
      tag: 'link_code_companion_reg',
      attrs: { stage: 'primary_hello' },
      content: [
        { tag: 'link_code_pairing_wrapped_primary_ephemeral_pub', attrs: {}, content: bytes(input.wrappedPrimaryEphemeralPub) },
        { tag: 'primary_identity_pub', attrs: {}, content: bytes(input.phoneIdentityPub) },
        { tag: 'link_code_pairing_ref', attrs: {}, content: bytes(input.ref) }
      ]
    }
  ]
})

export type CompanionFinish = {
  iqId: string
  jid: string
  wrappedKeyBundle: Buffer
  companionIdentityPub: Buffer
  ref: Buffer
}

/** What the late-2026 server accepts in `companion_platform_display`: `Browser (OS)` from these lists. */
export type AcceptedDisplays = { browsers: string[]; oses: string[] }

export const defaultAcceptedDisplays = (): AcceptedDisplays => ({
  browsers: ['Chrome', 'Edge', 'Firefox', 'Safari', 'Opera', 'IE'],
  oses: ['Windows', 'Mac OS', 'Linux', 'Ubuntu', 'Fedora', 'Android', 'iOS']
})

/**
 * Why the late-2026 server answers a `companion_hello` with `400 bad-request`, or undefined when it
 * accepts it: the display must be `Browser (OS)` with a common browser and a real OS name, and the
 * platform id must not be 0 (UNKNOWN).
 */
export const companionHelloRefusal = (
  hello: Pick<CompanionHello, 'platformId' | 'platformDisplay'>,
  accepted: AcceptedDisplays = defaultAcceptedDisplays()
): string | undefined => {
  const display = /^(.+) \((.+)\)$/.exec(hello.platformDisplay)
  const [browser, os] = [display?.[1], display?.[2]]
  if (!browser || !accepted.browsers.includes(browser))
    return `companion_platform_display ${JSON.stringify(hello.platformDisplay)} does not name a common browser`
  if (!os || !accepted.oses.includes(os)) return `companion_platform_display ${JSON.stringify(hello.platformDisplay)} does not name a real OS`
  if (!/^\d+$/.test(hello.platformId) || Number(hello.platformId) === 0) return `companion_platform_id ${JSON.stringify(hello.platformId)} is refused`
  return undefined
}

/**
 * What the late-2026 server sends a companion waiting for its code while the user opens Linked
 * devices on the phone, before the code is typed: a frame with no `link_code_companion_reg` child,
 * one whose child lacks the crypto fields, and a `stage=refresh_code` frame. WA Web continues the
 * link only on `stage=primary_hello`; the refresh frame carries the same fields as a primary
 * hello (wrapped under a code the companion does not know), so a client that ignores the stage
 * answers it with a `companion_finish` the server refuses.
 */
export const linkCodeRefreshFrames = async (input: { ids: [string, string, string]; ref: Uint8Array; phoneIdentityPub: Uint8Array }): Promise<BinaryNode[]> => {
  const attrs = (id: string) => ({ from: S_WHATSAPP_NET, type: 'link_code_companion_reg', id, t: `${Math.floor(Date.now() / 1000)}` })
  const { wrappedPrimaryEphemeralPub } = await makePrimaryHello({ code: randomBytes(5).toString('hex').slice(0, 8) })
  return [
    { tag: 'notification', attrs: attrs(input.ids[0]) },
    {
      tag: 'notification',
      attrs: attrs(input.ids[1]),
      content: [{ tag: 'link_code_companion_reg', attrs: {}, content: [{ tag: 'link_code_pairing_ref', attrs: {}, content: bytes(input.ref) }] }]
    },
    {
      tag: 'notification',
      attrs: attrs(input.ids[2]),
      content: [
        {
          tag: 'link_code_companion_reg',
          attrs: { stage: 'refresh_code' },
          content: [
            { tag: 'link_code_pairing_wrapped_primary_ephemeral_pub', attrs: {}, content: bytes(wrappedPrimaryEphemeralPub) },
            { tag: 'primary_identity_pub', attrs: {}, content: bytes(input.phoneIdentityPub) },
            { tag: 'link_code_pairing_ref', attrs: {}, content: bytes(input.ref) }
          ]
        }
      ]
    }
  ]
}

/** Reads Baileys' `companion_finish` iq. */
export const parseCompanionFinish = (iq: BinaryNode): CompanionFinish => {
  const reg = linkCodeRegChild(iq, 'companion_finish')
  return {
    iqId: requireAttr(iq, 'id'),
    jid: requireAttr(reg, 'jid'),
    wrappedKeyBundle: requireBytes(reg, 'link_code_pairing_wrapped_key_bundle'),
    companionIdentityPub: requireBytes(reg, 'companion_identity_public', KEY_LENGTH),
    ref: requireBytes(reg, 'link_code_pairing_ref')
  }
}

/** Baileys awaits this (query) before it sets `creds.registered` and acks the notification. */
export const companionFinishResult = (input: { iqId: string }): BinaryNode => ({
  tag: 'iq',
  attrs: { from: S_WHATSAPP_NET, type: 'result', id: input.iqId }
})

/**
 * Opens `linkCodeSalt32 | iv12 | AES-GCM(companionIdentityPub | primaryIdentityPub | random32)`,
 * checks both identities, and derives the adv secret as Baileys does:
 * hkdf(ephemeralShared | identityShared | random, 32, info 'adv_secret').
 */
export const openCompanionFinish = (input: {
  wrappedKeyBundle: Uint8Array
  companionEphemeralPub: Uint8Array
  primaryEphemeralPriv: Uint8Array
  phoneIdentity: KeyPair
  companionIdentityPub: Uint8Array
}): { advSecretKey: Buffer } => {
  const wrapped = input.wrappedKeyBundle
  if (wrapped.length < SALT_LENGTH + GCM_IV_LENGTH + GCM_TAG_LENGTH) throw new Error('link code key bundle is too short')
  const salt = wrapped.subarray(0, SALT_LENGTH)
  const iv = wrapped.subarray(SALT_LENGTH, SALT_LENGTH + GCM_IV_LENGTH)
  const ciphertext = wrapped.subarray(SALT_LENGTH + GCM_IV_LENGTH)

  const ephemeralShared = Curve.sharedKey(input.primaryEphemeralPriv, input.companionEphemeralPub)
  const bundleKey = hkdf(ephemeralShared, 32, { salt, info: BUNDLE_KEY_INFO })
  let bundle: Buffer
  try {
    bundle = aesDecryptGCM(ciphertext, bundleKey, iv, new Uint8Array(0))
  } catch {
    throw new WrongPairingCodeError()
  }
  if (bundle.length !== BUNDLE_PLAINTEXT_LENGTH) {
    throw new Error(`link code key bundle must hold ${BUNDLE_PLAINTEXT_LENGTH} bytes, got ${bundle.length}`)
  }
  const bundledCompanionIdentity = bundle.subarray(0, KEY_LENGTH)
  const bundledPrimaryIdentity = bundle.subarray(KEY_LENGTH, 2 * KEY_LENGTH)
  const random = bundle.subarray(2 * KEY_LENGTH)
  if (!bundledCompanionIdentity.equals(input.companionIdentityPub)) {
    throw new Error('link code key bundle names a companion identity other than companion_identity_public')
  }
  // The companion echoes the primary_identity_pub it received; another key means the notification
  // was not this phone's (or was tampered with).
  if (!bundledPrimaryIdentity.equals(input.phoneIdentity.public)) {
    throw new Error("link code key bundle names a primary identity other than this phone's")
  }
  const identityShared = Curve.sharedKey(input.phoneIdentity.private, input.companionIdentityPub)
  const advSecretKey = Buffer.from(hkdf(Buffer.concat([ephemeralShared, identityShared, random]), 32, { info: ADV_SECRET_INFO }))
  return { advSecretKey }
}

/**
 * Binary-node content must be bytes, not a string: Baileys' encoder packs short digit/hex strings
 * (and token strings) so they decode back as strings, and getBinaryNodeChildBuffer then returns
 * undefined ("Invalid buffer").
 */
const bytes = (data: Uint8Array): Buffer => Buffer.from(data)

const linkCodeRegChild = (iq: BinaryNode, stage: string): BinaryNode => {
  const reg = getBinaryNodeChild(iq, 'link_code_companion_reg')
  if (!reg) throw new Error('iq has no link_code_companion_reg child')
  if (reg.attrs.stage !== stage) throw new Error(`expected link_code_companion_reg stage=${stage}, got ${reg.attrs.stage}`)
  return reg
}

const requireAttr = (node: BinaryNode, name: string): string => {
  const value = node.attrs[name]
  if (!value) throw new Error(`<${node.tag}> has no ${name} attribute`)
  return value
}

const requireBytes = (node: BinaryNode, tag: string, length?: number): Buffer => {
  const content = getBinaryNodeChild(node, tag)?.content
  if (!(content instanceof Uint8Array)) throw new Error(`<${node.tag}> has no byte content in <${tag}>`)
  if (length !== undefined && content.length !== length) {
    throw new Error(`<${tag}> must be ${length} bytes, got ${content.length}`)
  }
  return Buffer.from(content)
}

/** Strings come back from the codec as strings (tokens, packed digits) or as raw bytes. */
const childText = (node: BinaryNode, tag: string): string => {
  const content = getBinaryNodeChild(node, tag)?.content
  if (typeof content === 'string') return content
  if (content instanceof Uint8Array) return Buffer.from(content).toString('utf8')
  return ''
}
