import type { WebSocket } from 'ws'
import { decodeBinaryNode, encodeBinaryNode, proto } from '@whiskeysockets/baileys'
import type { BinaryNode } from '@whiskeysockets/baileys'
import type { ClientFinish, NoiseServer } from './noise-server.ts'
import type { LinkedDevice } from './directory.ts'

/** What a registering (not yet linked) client told the server in its handshake. */
export type Registration = {
  noiseKey: Buffer
  identityKey: Buffer
  registrationId: number
  signedPreKey: { keyId: number; publicKey: Buffer; signature: Buffer }
  refs: string[]
  /** What the companion registered as (DeviceProps): `os` is the name the phone lists it under. */
  device: { label: string }
  /** ADV secrets the server retired for this registration: a QR that still carries one is refused. */
  retiredAdvSecrets: Buffer[]
  /** The `companion_reg_refresh` sent after the first scan; resolves with whether the companion acked it. */
  advRefresh?: Promise<boolean>
}

const readUInt = (bytes: Uint8Array | null | undefined): number => (bytes?.length ? Buffer.from(bytes).readUIntBE(0, bytes.length) : 0)

/** What a registering companion says it is (DeviceProps); `os` is the name under Linked devices. */
const deviceOf = (deviceProps: Uint8Array | null | undefined): Registration['device'] => {
  const props = deviceProps?.length ? proto.DeviceProps.decode(deviceProps) : undefined
  return { label: props?.os ?? '' }
}

/** The registration a companion's handshake carries (`devicePairingData`), offered these QR refs. */
export const readRegistration = (noiseKey: Buffer, pairing: proto.ClientPayload.IDevicePairingRegistrationData, refs: string[]): Registration => ({
  noiseKey,
  identityKey: Buffer.from(pairing.eIdent ?? []),
  registrationId: readUInt(pairing.eRegid),
  signedPreKey: {
    keyId: readUInt(pairing.eSkeyId),
    publicKey: Buffer.from(pairing.eSkeyVal ?? []),
    signature: Buffer.from(pairing.eSkeySig ?? [])
  },
  refs,
  device: deviceOf(pairing.deviceProps),
  retiredAdvSecrets: []
})

export type ConnectionHandlers = {
  onClientFinish(connection: Connection, finish: ClientFinish): Promise<void>
  onNode(connection: Connection, node: BinaryNode): Promise<void>
  onClose(connection: Connection): void
  onError(connection: Connection, error: unknown): void
}

const INTRO_HEADER_LENGTH = 4
const MAX_FRAME = 1 << 24

/**
 * One client socket: strips the intro header, splits 3-byte-length frames, runs the noise
 * handshake, then decodes binary nodes. Frames are handled strictly in order, because the
 * transport cipher's counters depend on it.
 */
export class Connection {
  device?: LinkedDevice
  registration?: Registration
  private inBytes = Buffer.alloc(0)
  private sawIntro = false
  private stage: 'hello' | 'finish' | 'transport' = 'hello'
  private queue: Promise<void> = Promise.resolve()
  private closed = false
  /** A stuck path (WaSim.halfDead): keep-alive pings still get their answer, nothing else passes either way. */
  private halfDead = false
  private readonly pingsToAnswer = new Set<string>()

  constructor(
    private readonly ws: WebSocket,
    private readonly noise: NoiseServer,
    private readonly handlers: ConnectionHandlers
  ) {
    ws.on('message', (data: Buffer) => {
      this.queue = this.queue.then(() => this.receive(data)).catch(error => this.fail(error))
    })
    ws.on('close', () => {
      this.closed = true
      handlers.onClose(this)
    })
    ws.on('error', error => handlers.onError(this, error))
  }

  get isOpen(): boolean {
    return !this.closed && this.ws.readyState === this.ws.OPEN
  }

  /** Whether this socket carries nothing but keep-alive pings and their answers (WaSim.halfDead). */
  get stalled(): boolean {
    return this.halfDead
  }

  stall(): void {
    this.halfDead = true
  }

  async sendNode(node: BinaryNode): Promise<void> {
    if (!this.isOpen) return
    if (this.halfDead && !this.pingsToAnswer.delete(node.attrs.id ?? '')) return
    this.sendFrame(this.noise.encrypt(encodeBinaryNode(node)))
  }

  /** Ends the stream politely: what WhatsApp does after a stream error. */
  close(): void {
    if (!this.closed) this.ws.close()
  }

  /** Sends a stream error, then ends the stream. */
  async streamError(node: BinaryNode): Promise<void> {
    await this.sendNode(node)
    this.close()
  }

  /** Cuts the TCP connection without a close frame, like a network failure. */
  drop(): void {
    this.closed = true
    this.ws.terminate()
  }

  private sendFrame(payload: Uint8Array): void {
    const frame = Buffer.alloc(3 + payload.length)
    frame.writeUIntBE(payload.length, 0, 3)
    frame.set(payload, 3)
    this.ws.send(frame)
  }

  private async receive(data: Buffer): Promise<void> {
    this.inBytes = Buffer.concat([this.inBytes, data])
    if (!this.sawIntro) {
      if (this.inBytes.length < INTRO_HEADER_LENGTH) return
      this.inBytes = this.inBytes.subarray(this.introLength())
      this.sawIntro = true
    }
    while (this.inBytes.length >= 3) {
      const size = this.inBytes.readUIntBE(0, 3)
      if (size > MAX_FRAME) throw new Error('frame too large')
      if (this.inBytes.length < size + 3) return
      const frame = this.inBytes.subarray(3, size + 3)
      this.inBytes = this.inBytes.subarray(size + 3)
      await this.handleFrame(frame)
    }
  }

  /** `WA 6 3`, or an `ED` routing prefix in front of it when the client has routing info. */
  private introLength(): number {
    if (this.inBytes[0] === 0x45 && this.inBytes[1] === 0x44) {
      const routingLength = (this.inBytes[4]! << 16) | this.inBytes.readUInt16BE(5)
      return 7 + routingLength + INTRO_HEADER_LENGTH
    }
    return INTRO_HEADER_LENGTH
  }

  private async handleFrame(frame: Buffer): Promise<void> {
    switch (this.stage) {
      case 'hello':
        this.sendFrame(this.noise.serverHello(frame))
        this.stage = 'finish'
        return
      case 'finish': {
        const finish = this.noise.clientFinish(frame)
        this.stage = 'transport'
        await this.handlers.onClientFinish(this, finish)
        return
      }
      case 'transport': {
        const node = await decodeBinaryNode(this.noise.decrypt(frame))
        if (this.halfDead && !this.isKeepAlive(node)) return
        await this.handlers.onNode(this, node)
      }
    }
  }

  /** Baileys' keep-alive (`w:p` ping); on a stalled socket its answer is the one stanza let out. */
  private isKeepAlive(node: BinaryNode): boolean {
    if (node.tag !== 'iq' || node.attrs.xmlns !== 'w:p' || node.attrs.type !== 'get' || !node.attrs.id) return false
    this.pingsToAnswer.add(node.attrs.id)
    return true
  }

  private fail(error: unknown): void {
    this.handlers.onError(this, error)
    this.drop()
  }
}
