import { createCipheriv, createDecipheriv, createHash } from 'node:crypto'
import { Curve, hkdf, NOISE_MODE, NOISE_WA_HEADER, proto } from '@whiskeysockets/baileys'
import type { KeyPair } from '@whiskeysockets/baileys'

const TAG_LENGTH = 16

const sha256 = (...parts: Uint8Array[]): Buffer => {
  const hash = createHash('sha256')
  for (const part of parts) hash.update(part)
  return hash.digest()
}

const ivFor = (counter: number): Buffer => {
  const iv = Buffer.alloc(12)
  iv.writeUInt32BE(counter, 8)
  return iv
}

const sealGcm = (key: Uint8Array, iv: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Buffer => {
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  cipher.setAAD(aad)
  return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()])
}

const openGcm = (key: Uint8Array, iv: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Buffer => {
  const decipher = createDecipheriv('aes-256-gcm', key, iv)
  decipher.setAAD(aad)
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_LENGTH))
  return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - TAG_LENGTH)), decipher.final()])
}

export type ClientFinish = {
  /** The client's static noise key: on login it identifies the linked device. */
  clientStatic: Buffer
  payload: proto.ClientPayload
}

/**
 * The responder half of WhatsApp's Noise_XX_25519_AESGCM_SHA256 handshake, mirroring
 * Baileys' `noise-handler.js` step by step, then the transport cipher with its own counters.
 */
export class NoiseServer {
  private hash: Buffer
  private salt: Buffer
  private key: Buffer
  private counter = 0
  private readonly ephemeral = Curve.generateKeyPair()
  private clientEphemeral?: Buffer
  private transport?: { readKey: Buffer; writeKey: Buffer; readCounter: number; writeCounter: number }

  constructor(
    private readonly serverStatic: KeyPair,
    private readonly certChain: Uint8Array
  ) {
    const mode = Buffer.from(NOISE_MODE)
    this.hash = mode
    this.salt = mode
    this.key = mode
    this.authenticate(NOISE_WA_HEADER)
  }

  get isTransport(): boolean {
    return this.transport !== undefined
  }

  /** Consumes the ClientHello and returns the encoded ServerHello. */
  serverHello(clientHelloFrame: Uint8Array): Buffer {
    const hello = proto.HandshakeMessage.decode(clientHelloFrame).clientHello
    if (hello?.ephemeral?.length !== 32) throw new Error('client hello without a 32-byte ephemeral key')
    this.clientEphemeral = Buffer.from(hello.ephemeral)
    this.authenticate(this.clientEphemeral)
    this.authenticate(this.ephemeral.public)
    this.mixIntoKey(Curve.sharedKey(this.ephemeral.private, this.clientEphemeral))
    const staticSealed = this.seal(this.serverStatic.public)
    this.mixIntoKey(Curve.sharedKey(this.serverStatic.private, this.clientEphemeral))
    const payloadSealed = this.seal(this.certChain)
    return Buffer.from(
      proto.HandshakeMessage.encode({
        serverHello: { ephemeral: this.ephemeral.public, static: staticSealed, payload: payloadSealed }
      }).finish()
    )
  }

  /** Consumes the ClientFinish, switches to transport keys and returns who the client says it is. */
  clientFinish(frame: Uint8Array): ClientFinish {
    const finish = proto.HandshakeMessage.decode(frame).clientFinish
    if (!finish?.static || !finish.payload) throw new Error('client finish without static key or payload')
    const clientStatic = this.open(finish.static)
    this.mixIntoKey(Curve.sharedKey(this.ephemeral.private, clientStatic))
    const payload = proto.ClientPayload.decode(this.open(finish.payload))
    const okm = hkdf(Buffer.alloc(0), 64, { salt: this.salt, info: '' })
    // The client writes with the first half and reads with the second; the server mirrors it.
    this.transport = {
      readKey: Buffer.from(okm.subarray(0, 32)),
      writeKey: Buffer.from(okm.subarray(32, 64)),
      readCounter: 0,
      writeCounter: 0
    }
    return { clientStatic, payload }
  }

  encrypt(plaintext: Uint8Array): Buffer {
    const t = this.requireTransport()
    return sealGcm(t.writeKey, ivFor(t.writeCounter++), Buffer.alloc(0), plaintext)
  }

  decrypt(ciphertext: Uint8Array): Buffer {
    const t = this.requireTransport()
    return openGcm(t.readKey, ivFor(t.readCounter++), Buffer.alloc(0), ciphertext)
  }

  private requireTransport() {
    if (!this.transport) throw new Error('noise handshake not finished')
    return this.transport
  }

  private authenticate(data: Uint8Array): void {
    this.hash = sha256(this.hash, data)
  }

  private mixIntoKey(material: Uint8Array): void {
    const okm = hkdf(Buffer.from(material), 64, { salt: this.salt, info: '' })
    this.salt = Buffer.from(okm.subarray(0, 32))
    this.key = Buffer.from(okm.subarray(32, 64))
    this.counter = 0
  }

  private seal(plaintext: Uint8Array): Buffer {
    const sealed = sealGcm(this.key, ivFor(this.counter++), this.hash, plaintext)
    this.authenticate(sealed)
    return sealed
  }

  private open(sealed: Uint8Array): Buffer {
    const plaintext = openGcm(this.key, ivFor(this.counter++), this.hash, sealed)
    this.authenticate(sealed)
    return plaintext
  }
}
