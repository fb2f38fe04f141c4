import type { EventEmitter } from 'node:events'
import type { AddressInfo } from 'node:net'
import { WebSocketServer } from 'ws'
import { Curve, S_WHATSAPP_NET } from '@whiskeysockets/baileys'
import type { BinaryNode } from '@whiskeysockets/baileys'
import type { AwaitedReplies } from './awaited-replies.ts'
import { makeCertChain } from './cert-chain.ts'
import type { CertChain } from './cert-chain.ts'
import { Connection, readRegistration } from './connection.ts'
import type { Registration } from './connection.ts'
import type { Directory, LinkedDevice } from './directory.ts'
import { answerIq, errorIq, iqKey, resultIq } from './iq-answers.ts'
import type { IqRefusal } from './iq-answers.ts'
import { createMediaHost } from './media-host.ts'
import type { MediaHost } from './media-host.ts'
import { NoiseServer } from './noise-server.ts'
import type { ClientFinish } from './noise-server.ts'
import { newPairingRefs, pairDeviceNode } from './pairing.ts'
import { isMessageCappingQuery, messageCappingQueryResult } from './message-capping.ts'
import type { NewChatCap } from './message-capping.ts'
import { isReachoutTimelockQuery, reachoutTimelockQueryResult } from './reachout-timelock.ts'
import type { ReachoutTimelock } from './reachout-timelock.ts'
import type { SimLogger, WaSimOptions } from './sim-options.ts'
import { now } from './stanza-attrs.ts'

/** What the server leaves to the rest of the emulator: the faults a test set, and the stanzas others answer. */
export type ServerHooks = {
  /** During an outage the server is unreachable. */
  refusesConnections(): boolean
  /** A muted socket gets no answer to anything, pings included. */
  ignores(connection: Connection): boolean
  /** The error answer a test set for the next query whose key starts as this one's; taken once. */
  takeIqRefusal(key: string): IqRefusal | undefined
  reachoutTimelock(accountPn: string): ReachoutTimelock | undefined
  newChatCap(accountPn: string): NewChatCap | undefined
  /** The pairing-code stages (`link_code_companion_reg`), with the refusal a test set for them. */
  onLinkCode(connection: Connection, iq: BinaryNode, refusal?: IqRefusal): Promise<void>
  /** A `<message>` a linked device sends. */
  onMessage(connection: Connection, stanza: BinaryNode): Promise<void>
  /** `passive/active` follows the prekey upload on every login, so the phone can now encrypt to the device. */
  onActive(device: LinkedDevice): Promise<void>
  onClose(connection: Connection): void
}

export type ServerDeps = { options: WaSimOptions; logger: SimLogger; directory: Directory; events: EventEmitter; replies: AwaitedReplies }

/**
 * The WhatsApp Web server on loopback: the websocket endpoint, the noise handshake's certificate,
 * registrations and logins, and the queries it answers itself; the media host beside it.
 */
export class SimServer {
  private readonly serverStatic = Curve.generateKeyPair()
  private readonly certChain: CertChain
  private readonly connections = new Set<Connection>()
  private readonly registrationsByRef = new Map<string, Connection>()
  private wss?: WebSocketServer
  private mediaHost?: MediaHost
  private iqCounter = 0

  constructor(
    private readonly deps: ServerDeps,
    private readonly hooks: ServerHooks
  ) {
    this.certChain = makeCertChain(this.serverStatic, deps.options.rootKey)
  }

  get certRoot(): Buffer {
    return Buffer.from(this.certChain.root.public)
  }

  get media(): MediaHost {
    if (!this.mediaHost) throw new Error('the emulator was started without media')
    return this.mediaHost
  }

  async start(): Promise<string> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/ws/chat', maxPayload: 64 * 1024 * 1024 })
    this.wss = wss
    await new Promise<void>((resolve, reject) => {
      wss.once('listening', resolve)
      wss.once('error', reject)
    })
    wss.on('connection', ws => {
      if (this.hooks.refusesConnections()) {
        ws.terminate()
        return
      }
      const connection = new Connection(ws, new NoiseServer(this.serverStatic, this.certChain.encoded), {
        onClientFinish: (conn, finish) => this.onClientFinish(conn, finish),
        onNode: (conn, node) => this.onNode(conn, node),
        onClose: conn => this.forget(conn),
        onError: (_conn, error) => this.deps.logger.warn({ err: error }, 'sim connection error')
      })
      this.connections.add(connection)
    })
    if (this.deps.options.media) {
      this.mediaHost = createMediaHost({ log: (message, meta) => this.deps.logger.debug(meta ?? {}, message) })
      await this.mediaHost.start()
    }
    const { port } = wss.address() as AddressInfo
    return `ws://127.0.0.1:${port}/ws/chat`
  }

  async stop(): Promise<void> {
    this.dropAll()
    this.connections.clear()
    const wss = this.wss
    this.wss = undefined
    if (wss) await new Promise<void>(resolve => wss.close(() => resolve()))
    await this.mediaHost?.stop()
  }

  /** Cuts every socket, as a network failure would. */
  dropAll(): void {
    for (const connection of this.connections) connection.drop()
  }

  /** The registering connection whose QR code carries this ref. */
  registering(ref: string): Connection | undefined {
    return this.registrationsByRef.get(ref)
  }

  /** The registration linked or went away: its QR refs scan no more. */
  retireRefs(registration: Registration): void {
    for (const ref of registration.refs) this.registrationsByRef.delete(ref)
  }

  /** Sends a stanza to the device, or keeps it for the device's next login (also while its socket is stalled). */
  deliver(device: LinkedDevice, node: BinaryNode): void {
    const [connection] = this.liveConnections(device.account.pn, device.id)
    if (connection && !connection.stalled) void connection.sendNode(node)
    else device.offline.push(node)
  }

  liveConnections(accountPn: string, deviceId?: number): Connection[] {
    return [...this.connections].filter(c => c.isOpen && c.device?.account.pn === accountPn && (deviceId === undefined || c.device.id === deviceId))
  }

  nextIqId(): string {
    return `sim-${++this.iqCounter}`
  }

  private async onClientFinish(connection: Connection, { clientStatic, payload }: ClientFinish): Promise<void> {
    const { directory, events, logger, options, replies } = this.deps
    const pairing = payload.devicePairingData
    if (pairing) {
      const refs = newPairingRefs(options.qrRefs ?? 6)
      connection.registration = readRegistration(clientStatic, pairing, refs)
      for (const ref of refs) this.registrationsByRef.set(ref, connection)
      await connection.sendNode(pairDeviceNode(this.nextIqId(), refs))
      events.emit('registration', { refs })
      return
    }
    const account = directory.account(`${payload.username ?? ''}`)
    const device = account?.devices.get(payload.device ?? 0)
    if (!account || !device?.noiseKey.equals(clientStatic)) {
      await connection.sendNode({ tag: 'failure', attrs: { reason: '401', location: 'sim' } })
      connection.close()
      return
    }
    // WhatsApp keeps one connection per device: a new login replaces the one before (440 there).
    for (const earlier of this.liveConnections(account.pn, device.id))
      void earlier.streamError({ tag: 'stream:error', attrs: {}, content: [{ tag: 'conflict', attrs: { type: 'replaced' } }] })
    connection.device = device
    await connection.sendNode({
      tag: 'success',
      attrs: { t: now(), lid: `${account.lid}:${device.id}@lid`, props: '1', abprops: '1', location: 'sim', creation: now() }
    })
    const offline = device.offline.splice(0)
    for (const node of offline) await connection.sendNode(node)
    // Status updates the device never acked come again on every stream.
    for (const status of device.pendingStatuses.values()) replies.sendStatus(connection, status)
    await connection.sendNode({
      tag: 'ib',
      attrs: { from: S_WHATSAPP_NET },
      content: [{ tag: 'offline', attrs: { count: `${offline.length + device.pendingStatuses.size}` } }]
    })
    logger.debug({ accountPn: account.pn, deviceId: device.id }, 'sim login')
    events.emit('login', { accountPn: account.pn, deviceId: device.id })
  }

  private async onNode(connection: Connection, node: BinaryNode): Promise<void> {
    this.deps.events.emit('node', node, connection)
    if (this.hooks.ignores(connection)) return
    switch (node.tag) {
      case 'iq':
        return this.onIq(connection, node)
      case 'message':
        return this.hooks.onMessage(connection, node)
      case 'receipt':
        await connection.sendNode({
          tag: 'ack',
          attrs: { class: 'receipt', id: node.attrs.id ?? '', from: node.attrs.to ?? S_WHATSAPP_NET, ...(node.attrs.type ? { type: node.attrs.type } : {}) }
        })
        this.deps.events.emit('client-receipt', node)
        return
      case 'ack':
        this.deps.replies.onAck(connection, node)
        return
      default:
        // ack, presence, ib, call and the like need no answer.
        return
    }
  }

  private async onIq(connection: Connection, iq: BinaryNode): Promise<void> {
    const type = iq.attrs.type
    if (type === 'result' || type === 'error') {
      this.deps.replies.answered(iq)
      return
    }
    const key = iqKey(iq)
    const refusal = this.hooks.takeIqRefusal(key)
    if (key.startsWith('md/set/link_code_companion_reg')) return this.hooks.onLinkCode(connection, iq, refusal)
    if (refusal) {
      await connection.sendNode(errorIq(iq, refusal.code, refusal.text))
      return
    }
    if (isReachoutTimelockQuery(iq)) {
      const pn = connection.device?.account.pn
      await connection.sendNode(reachoutTimelockQueryResult(iq, pn ? this.hooks.reachoutTimelock(pn) : undefined))
      return
    }
    if (isMessageCappingQuery(iq)) {
      const pn = connection.device?.account.pn
      await connection.sendNode(messageCappingQueryResult(iq, pn ? this.hooks.newChatCap(pn) : undefined))
      return
    }
    if (key === 'md/set/remove-companion-device') {
      const device = connection.device
      if (device) device.account.devices.delete(device.id)
      this.deps.events.emit('state-changed', 'devices')
      await connection.sendNode(resultIq(iq))
      return
    }
    const { answer, known } = answerIq(iq, {
      directory: this.deps.directory,
      device: connection.device,
      mediaHost: this.mediaHost?.host,
      onNumberCheck: jid => this.deps.events.emit('number-checked', jid)
    })
    if (!known) this.deps.logger.debug({ key }, 'sim answers an unhandled iq with an empty result')
    await connection.sendNode(answer)
    if (key === 'passive/set/active' && connection.device) await this.hooks.onActive(connection.device)
  }

  private forget(connection: Connection): void {
    this.connections.delete(connection)
    this.hooks.onClose(connection)
    this.deps.replies.forget(connection)
    if (connection.registration) this.retireRefs(connection.registration)
    this.deps.events.emit('connection-closed', connection.device && { accountPn: connection.device.account.pn, deviceId: connection.device.id })
  }
}
