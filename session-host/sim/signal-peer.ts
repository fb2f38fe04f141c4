import { randomInt } from 'node:crypto'
import { Curve, generateSignalPubKey } from '@whiskeysockets/baileys'
import type { KeyPair } from '@whiskeysockets/baileys'
import { ProtocolAddress, SessionBuilder, SessionCipher, type SessionRecord } from 'libsignal'
import type { SignalStorage } from 'libsignal'

export type EncType = 'pkmsg' | 'msg'

/** What WhatsApp's key server hands out for one device (the `<user>` of an `encrypt/get/key` answer). */
export type PreKeyBundle = {
  registrationId: number
  identityKey: Uint8Array
  signedPreKey: { keyId: number; publicKey: Uint8Array; signature: Uint8Array }
  preKey: { keyId: number; publicKey: Uint8Array }
}

type LibsignalPair = { privKey: Buffer; pubKey: Buffer }

const toLibsignal = (pair: KeyPair): LibsignalPair => ({
  privKey: Buffer.from(pair.private),
  pubKey: Buffer.from(generateSignalPubKey(Buffer.from(pair.public)))
})

/** Signal addresses are `name.device`; the emulator names a Baileys device by its account's LID. */
export const signalAddress = (user: string, device: number): ProtocolAddress => new ProtocolAddress(user, device)

/**
 * What makes a peer the same device after a restart: its identity, registration id and signed
 * prekey. Sessions and one-time prekeys are not kept: Baileys fetches a fresh bundle and starts a
 * new session on every new socket (PROTOCOL.md §1.3), and one a peer sends starts from a bundle.
 */
export type PeerKeys = { identity: KeyPair; registrationId: number; signedPreKey: { keyId: number; keyPair: KeyPair; signature: Uint8Array } }

/**
 * One simulated Signal device (a contact's phone, or the account's own phone), with its keys and
 * sessions in memory. It decrypts what Baileys sends it and encrypts what it sends Baileys.
 */
export class SignalPeer {
  readonly identity: KeyPair
  readonly registrationId: number
  private readonly signedPreKey: PeerKeys['signedPreKey']
  private readonly preKeys = new Map<number, KeyPair>()
  private readonly sessions = new Map<string, SessionRecord>()
  private nextPreKeyId = 1

  constructor(keys?: PeerKeys) {
    this.identity = keys?.identity ?? Curve.generateKeyPair()
    this.registrationId = keys?.registrationId ?? randomInt(1, 16380)
    if (keys) this.signedPreKey = keys.signedPreKey
    else {
      const keyPair = Curve.generateKeyPair()
      this.signedPreKey = { keyId: 1, keyPair, signature: Curve.sign(this.identity.private, generateSignalPubKey(keyPair.public)) }
    }
  }

  /** The keys to give a new SignalPeer so that it is this device again. */
  keys(): PeerKeys {
    return { identity: this.identity, registrationId: this.registrationId, signedPreKey: this.signedPreKey }
  }

  /** A bundle with a fresh one-time prekey, as a key server gives one out per fetch. */
  takeBundle(): PreKeyBundle {
    const keyId = this.nextPreKeyId++
    const pair = Curve.generateKeyPair()
    this.preKeys.set(keyId, pair)
    return {
      registrationId: this.registrationId,
      identityKey: this.identity.public,
      signedPreKey: {
        keyId: this.signedPreKey.keyId,
        publicKey: this.signedPreKey.keyPair.public,
        signature: this.signedPreKey.signature
      },
      preKey: { keyId, publicKey: pair.public }
    }
  }

  async decrypt(from: ProtocolAddress, type: EncType, ciphertext: Uint8Array): Promise<Buffer> {
    const cipher = new SessionCipher(this.storage, from)
    return type === 'pkmsg' ? cipher.decryptPreKeyWhisperMessage(ciphertext) : cipher.decryptWhisperMessage(ciphertext)
  }

  /** Encrypts to a device; the first message to it builds a session from the device's bundle. */
  async encrypt(to: ProtocolAddress, plaintext: Uint8Array, bundle: () => PreKeyBundle | undefined): Promise<{ type: EncType; ciphertext: Buffer }> {
    if (!this.sessions.get(to.toString())?.haveOpenSession()) {
      const remote = bundle()
      if (!remote) throw new Error(`no prekey bundle for ${to.toString()}`)
      await new SessionBuilder(this.storage, to).initOutgoing({
        registrationId: remote.registrationId,
        identityKey: generateSignalPubKey(Buffer.from(remote.identityKey)),
        signedPreKey: {
          keyId: remote.signedPreKey.keyId,
          publicKey: generateSignalPubKey(Buffer.from(remote.signedPreKey.publicKey)),
          signature: remote.signedPreKey.signature
        },
        preKey: { keyId: remote.preKey.keyId, publicKey: generateSignalPubKey(Buffer.from(remote.preKey.publicKey)) }
      })
    }
    const { type, body } = await new SessionCipher(this.storage, to).encrypt(plaintext)
    // libsignal's typings say string; at run time it returns a Buffer.
    const bytes: unknown = body
    return { type: type === 3 ? 'pkmsg' : 'msg', ciphertext: Buffer.isBuffer(bytes) ? bytes : Buffer.from(String(bytes), 'binary') }
  }

  /** Forgets sessions, as a phone does when it is reinstalled. */
  resetSessions(): void {
    this.sessions.clear()
  }

  private readonly storage: SignalStorage = {
    loadSession: async id => this.sessions.get(id),
    storeSession: async (id, session) => {
      this.sessions.set(id, session)
    },
    // A simulated phone trusts on first use, as WhatsApp clients do.
    isTrustedIdentity: () => true,
    loadPreKey: async id => {
      const pair = this.preKeys.get(Number(id))
      return pair ? toLibsignal(pair) : undefined
    },
    removePreKey: id => {
      this.preKeys.delete(Number(id))
    },
    loadSignedPreKey: () => toLibsignal(this.signedPreKey.keyPair),
    getOurRegistrationId: () => this.registrationId,
    getOurIdentity: () => toLibsignal(this.identity)
  }
}
