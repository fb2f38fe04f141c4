import { before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import {
  aesDecryptCTR,
  aesEncryptCTR,
  aesEncryptGCM,
  Browsers,
  bytesToCrockford,
  Curve,
  decodeBinaryNode,
  derivePairingCodeKey,
  encodeBinaryNode,
  getBinaryNodeChild,
  getBinaryNodeChildBuffer,
  getCompanionPlatformId,
  hkdf,
  initAuthCreds,
  jidEncode,
  S_WHATSAPP_NET
} from '@whiskeysockets/baileys'
import type { AuthenticationCreds, BinaryNode, KeyPair } from '@whiskeysockets/baileys'
import {
  companionFinishResult,
  companionHelloRefusal,
  companionHelloResult,
  linkCodeNotification,
  makePrimaryHello,
  newLinkCodePairingRef,
  normalizePairingCode,
  openCompanionFinish,
  PAIRING_CODE_ALPHABET,
  parseCompanionFinish,
  parseCompanionHello,
  unwrapCompanionEphemeral,
  WrongPairingCodeError
} from './pairing-code.ts'
import type { CompanionFinish, CompanionHello } from './pairing-code.ts'

const PHONE_NUMBER = '15550001111'
const BROWSER = Browsers.macOS('Chrome')

// ---- Baileys' companion side, replicated from @whiskeysockets/baileys 7.0.0-rc14 ----

/** lib/Socket/socket.js: requestPairingCode + generatePairingKey (minus the sendNode). */
const baileysRequestPairingCode = async (creds: AuthenticationCreds, phoneNumber: string) => {
  const pairingCode = bytesToCrockford(randomBytes(5))
  creds.pairingCode = pairingCode
  creds.me = { id: jidEncode(phoneNumber, 's.whatsapp.net'), name: '~' }
  const salt = randomBytes(32)
  const randomIv = randomBytes(16)
  const key = await derivePairingCodeKey(creds.pairingCode, salt)
  const ciphered = aesEncryptCTR(creds.pairingEphemeralKeyPair.public, key, randomIv)
  const node: BinaryNode = {
    tag: 'iq',
    attrs: { to: S_WHATSAPP_NET, type: 'set', id: 'hello-1', xmlns: 'md' },
    content: [
      {
        tag: 'link_code_companion_reg',
        attrs: { jid: creds.me.id, stage: 'companion_hello', should_show_push_notification: 'true' },
        content: [
          { tag: 'link_code_pairing_wrapped_companion_ephemeral_pub', attrs: {}, content: Buffer.concat([salt, randomIv, ciphered]) },
          { tag: 'companion_server_auth_key_pub', attrs: {}, content: creds.noiseKey.public },
          { tag: 'companion_platform_id', attrs: {}, content: getCompanionPlatformId(BROWSER) },
          { tag: 'companion_platform_display', attrs: {}, content: `${BROWSER[1]} (${BROWSER[0]})` },
          { tag: 'link_code_pairing_nonce', attrs: {}, content: '0' }
        ]
      }
    ]
  }
  return { pairingCode, node }
}

const toRequiredBuffer = (data: Uint8Array | undefined): Buffer => {
  if (data === undefined) throw new Error('Invalid buffer')
  return data instanceof Buffer ? data : Buffer.from(data)
}

/** lib/Socket/messages-recv.js: `case 'link_code_companion_reg':` and decipherLinkPublicKey (minus the query). */
const baileysOnLinkCodeNotification = async (creds: AuthenticationCreds, node: BinaryNode): Promise<BinaryNode> => {
  const decipherLinkPublicKey = async (data: Uint8Array | undefined) => {
    const buffer = toRequiredBuffer(data)
    const salt = buffer.slice(0, 32)
    const secretKey = await derivePairingCodeKey(creds.pairingCode ?? '', salt)
    const iv = buffer.slice(32, 48)
    const payload = buffer.slice(48, 80)
    return aesDecryptCTR(payload, secretKey, iv)
  }
  const linkCodeCompanionReg = getBinaryNodeChild(node, 'link_code_companion_reg')
  const ref = toRequiredBuffer(getBinaryNodeChildBuffer(linkCodeCompanionReg, 'link_code_pairing_ref'))
  const primaryIdentityPublicKey = toRequiredBuffer(getBinaryNodeChildBuffer(linkCodeCompanionReg, 'primary_identity_pub'))
  const primaryEphemeralPublicKeyWrapped = toRequiredBuffer(getBinaryNodeChildBuffer(linkCodeCompanionReg, 'link_code_pairing_wrapped_primary_ephemeral_pub'))
  const codePairingPublicKey = await decipherLinkPublicKey(primaryEphemeralPublicKeyWrapped)
  const companionSharedKey = Curve.sharedKey(creds.pairingEphemeralKeyPair.private, codePairingPublicKey)
  const random = randomBytes(32)
  const linkCodeSalt = randomBytes(32)
  const linkCodePairingExpanded = hkdf(companionSharedKey, 32, {
    salt: linkCodeSalt,
    info: 'link_code_pairing_key_bundle_encryption_key'
  })
  const encryptPayload = Buffer.concat([Buffer.from(creds.signedIdentityKey.public), primaryIdentityPublicKey, random])
  const encryptIv = randomBytes(12)
  const encrypted = aesEncryptGCM(encryptPayload, linkCodePairingExpanded, encryptIv, Buffer.alloc(0))
  const encryptedPayload = Buffer.concat([linkCodeSalt, encryptIv, encrypted])
  const identitySharedKey = Curve.sharedKey(creds.signedIdentityKey.private, primaryIdentityPublicKey)
  const identityPayload = Buffer.concat([companionSharedKey, identitySharedKey, random])
  creds.advSecretKey = Buffer.from(hkdf(identityPayload, 32, { info: 'adv_secret' })).toString('base64')
  assert.ok(creds.me)
  return {
    tag: 'iq',
    attrs: { to: S_WHATSAPP_NET, type: 'set', id: 'finish-1', xmlns: 'md' },
    content: [
      {
        tag: 'link_code_companion_reg',
        attrs: { jid: creds.me.id, stage: 'companion_finish' },
        content: [
          { tag: 'link_code_pairing_wrapped_key_bundle', attrs: {}, content: encryptedPayload },
          { tag: 'companion_identity_public', attrs: {}, content: creds.signedIdentityKey.public },
          { tag: 'link_code_pairing_ref', attrs: {}, content: ref }
        ]
      }
    ]
  }
}

// ---- helpers ----

/** Through Baileys' binary codec, as on the wire. */
const wire = async (node: BinaryNode): Promise<BinaryNode> => decodeBinaryNode(encodeBinaryNode(node))

/** Phone sends primary_hello (typing `typedCode`, announcing `announcedIdentity`); Baileys answers companion_finish. */
const runPrimaryHello = async (input: { creds: AuthenticationCreds; typedCode: string; announcedIdentity: Uint8Array }) => {
  const { primaryEphemeral, wrappedPrimaryEphemeralPub } = await makePrimaryHello({ code: input.typedCode })
  const ref = newLinkCodePairingRef()
  const notification = await wire(linkCodeNotification({ id: 'notif-1', ref, phoneIdentityPub: input.announcedIdentity, wrappedPrimaryEphemeralPub }))
  const finish = parseCompanionFinish(await wire(await baileysOnLinkCodeNotification(input.creds, notification)))
  return { primaryEphemeral, ref, notification, finish }
}

const otherCode = (code: string): string => {
  const last = code.at(-1) ?? '1'
  const replacement = PAIRING_CODE_ALPHABET[(PAIRING_CODE_ALPHABET.indexOf(last) + 1) % PAIRING_CODE_ALPHABET.length] ?? '1'
  return code.slice(0, -1) + replacement
}

// ---- tests ----

describe('pairing code, phone side', () => {
  let creds: AuthenticationCreds
  let pairingCode: string
  let hello: CompanionHello
  let phoneIdentity: KeyPair
  let recoveredCompanionEphemeral: Buffer
  let happy: { primaryEphemeral: KeyPair; ref: Buffer; notification: BinaryNode; finish: CompanionFinish }
  let baileysAdvSecret: Buffer

  before(async () => {
    creds = initAuthCreds()
    phoneIdentity = Curve.generateKeyPair()
    const request = await baileysRequestPairingCode(creds, PHONE_NUMBER)
    pairingCode = request.pairingCode
    hello = parseCompanionHello(await wire(request.node))
    // The user reads XXXX-XXXX off the companion's screen and types it on the phone.
    const typed = normalizePairingCode(`${pairingCode.slice(0, 4)}-${pairingCode.slice(4)}`)
    recoveredCompanionEphemeral = await unwrapCompanionEphemeral(hello.wrappedCompanionEphemeralPub, typed)
    happy = await runPrimaryHello({ creds, typedCode: typed, announcedIdentity: phoneIdentity.public })
    baileysAdvSecret = Buffer.from(creds.advSecretKey, 'base64')
  })

  test('companion_hello parses and the code recovers the companion ephemeral key', () => {
    assert.match(pairingCode, /^[1-9A-HJ-NP-TV-Z]{8}$/)
    assert.equal(hello.iqId, 'hello-1')
    assert.equal(hello.jid, `${PHONE_NUMBER}@s.whatsapp.net`)
    assert.equal(hello.phoneNumber, PHONE_NUMBER)
    assert.deepEqual(hello.companionNoiseKeyPub, Buffer.from(creds.noiseKey.public))
    assert.equal(hello.platformId, getCompanionPlatformId(BROWSER))
    assert.equal(hello.platformDisplay, `${BROWSER[1]} (${BROWSER[0]})`)
    assert.equal(hello.showPushNotification, true)
    assert.deepEqual(recoveredCompanionEphemeral, Buffer.from(creds.pairingEphemeralKeyPair.public))
  })

  test('answers survive the codec with byte content where Baileys reads buffers', async () => {
    const helloAnswer = await wire(companionHelloResult({ iqId: hello.iqId, ref: happy.ref }))
    assert.equal(helloAnswer.attrs.id, 'hello-1')
    assert.equal(helloAnswer.attrs.type, 'result')
    const reg = getBinaryNodeChild(helloAnswer, 'link_code_companion_reg')
    assert.deepEqual(Buffer.from(getBinaryNodeChildBuffer(reg, 'link_code_pairing_ref') ?? []), happy.ref)
    assert.equal(happy.notification.attrs.type, 'link_code_companion_reg')
    assert.equal(happy.notification.attrs.id, 'notif-1')
    const finishAnswer = await wire(companionFinishResult({ iqId: happy.finish.iqId }))
    assert.deepEqual(finishAnswer.attrs, { from: S_WHATSAPP_NET, type: 'result', id: 'finish-1' })
  })

  test('right code: phone and Baileys derive the same adv secret', () => {
    assert.equal(happy.finish.jid, `${PHONE_NUMBER}@s.whatsapp.net`)
    assert.deepEqual(happy.finish.ref, happy.ref)
    assert.deepEqual(happy.finish.companionIdentityPub, Buffer.from(creds.signedIdentityKey.public))
    const { advSecretKey } = openCompanionFinish({
      wrappedKeyBundle: happy.finish.wrappedKeyBundle,
      companionEphemeralPub: recoveredCompanionEphemeral,
      primaryEphemeralPriv: happy.primaryEphemeral.private,
      phoneIdentity,
      companionIdentityPub: happy.finish.companionIdentityPub
    })
    assert.equal(advSecretKey.length, 32)
    assert.deepEqual(advSecretKey, baileysAdvSecret)
  })

  test('a bundle whose companion identity differs from companion_identity_public is refused', () => {
    assert.throws(
      () =>
        openCompanionFinish({
          wrappedKeyBundle: happy.finish.wrappedKeyBundle,
          companionEphemeralPub: recoveredCompanionEphemeral,
          primaryEphemeralPriv: happy.primaryEphemeral.private,
          phoneIdentity,
          companionIdentityPub: Curve.generateKeyPair().public
        }),
      /companion identity/
    )
  })

  test('wrong code: garbage ephemeral key, and openCompanionFinish throws WrongPairingCodeError', async () => {
    const wrong = otherCode(pairingCode)
    assert.notEqual(wrong, pairingCode)
    const phoneView = await unwrapCompanionEphemeral(hello.wrappedCompanionEphemeralPub, wrong)
    assert.notDeepEqual(phoneView, Buffer.from(creds.pairingEphemeralKeyPair.public))
    const run = await runPrimaryHello({ creds, typedCode: wrong, announcedIdentity: phoneIdentity.public })
    assert.throws(
      () =>
        openCompanionFinish({
          wrappedKeyBundle: run.finish.wrappedKeyBundle,
          companionEphemeralPub: phoneView,
          primaryEphemeralPriv: run.primaryEphemeral.private,
          phoneIdentity,
          companionIdentityPub: run.finish.companionIdentityPub
        }),
      WrongPairingCodeError
    )
  })

  test('a bundle naming a different primary identity is refused', async () => {
    // The notification Baileys got announced someone else's identity key (right code otherwise).
    const impostor = Curve.generateKeyPair()
    const run = await runPrimaryHello({ creds, typedCode: pairingCode, announcedIdentity: impostor.public })
    const open = (identity: KeyPair) =>
      openCompanionFinish({
        wrappedKeyBundle: run.finish.wrappedKeyBundle,
        companionEphemeralPub: recoveredCompanionEphemeral,
        primaryEphemeralPriv: run.primaryEphemeral.private,
        phoneIdentity: identity,
        companionIdentityPub: run.finish.companionIdentityPub
      })
    assert.throws(() => open(phoneIdentity), /primary identity/)
    // Control: the bundle itself is fine, only the identity check refused it.
    assert.deepEqual(open(impostor).advSecretKey, Buffer.from(creds.advSecretKey, 'base64'))
  })

  test('the late-2026 server accepts only `Browser (OS)` displays with a common browser and a real OS, and no platform id 0', () => {
    for (const platformDisplay of [
      'Chrome (Windows)',
      'Chrome (Mac OS)',
      'Firefox (Linux)',
      'Edge (Windows)',
      'Safari (iOS)',
      'Opera (Ubuntu)',
      'IE (Windows)',
      'Chrome (Fedora)',
      'Chrome (Android)'
    ]) {
      assert.equal(companionHelloRefusal({ platformId: '1', platformDisplay }), undefined, platformDisplay)
    }
    assert.match(companionHelloRefusal({ platformId: '1', platformDisplay: 'Chrome (Acme)' }) ?? '', /real OS/)
    assert.match(companionHelloRefusal({ platformId: '1', platformDisplay: 'Brave (Linux)' }) ?? '', /common browser/)
    assert.match(companionHelloRefusal({ platformId: '1', platformDisplay: 'Chrome Linux' }) ?? '', /common browser/)
    assert.match(companionHelloRefusal({ platformId: '1', platformDisplay: '' }) ?? '', /common browser/)
    assert.match(companionHelloRefusal({ platformId: '0', platformDisplay: 'Chrome (Linux)' }) ?? '', /platform_id/)
    assert.match(companionHelloRefusal({ platformId: '', platformDisplay: 'Chrome (Linux)' }) ?? '', /platform_id/)
    assert.match(companionHelloRefusal({ platformId: '1', platformDisplay: 'Chrome (Linux)' }, { browsers: ['Chrome'], oses: ['Windows'] }) ?? '', /real OS/)
  })
})
