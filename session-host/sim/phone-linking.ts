import type { EventEmitter } from 'node:events'
import type { AwaitedReplies } from './awaited-replies.ts'
import type { Connection, Registration } from './connection.ts'
import type { Account, Directory, LinkedDevice } from './directory.ts'
import type { LinkCodeRequests } from './link-code-requests.ts'
import { LinkRefusedError } from './link-outcome.ts'
import type { LinkOutcome, LinkResult } from './link-outcome.ts'
import {
  linkCodeNotification,
  linkCodeRefreshFrames,
  makePrimaryHello,
  normalizePairingCode,
  openCompanionFinish,
  unwrapCompanionEphemeral
} from './pairing-code.ts'
import { pairSuccessNode, parsePairingQr, sameKey, verifyPairDeviceSign } from './pairing.ts'
import { companionRegRefreshNotification, passkeyPrologueRequest } from './server-2026-stanzas.ts'
import { isLate2026 } from './sim-options.ts'
import type { WaSimOptions } from './sim-options.ts'
import type { SimServer } from './sim-server.ts'

/** What the phone shows under Linked devices. */
export type LinkedDeviceView = { id: number; label: string }

export type PhoneLinkingDeps = {
  options: WaSimOptions
  directory: Directory
  events: EventEmitter
  server: SimServer
  replies: AwaitedReplies
  linkCodes: LinkCodeRequests
}

/**
 * Each account's phone linking companions (each step described on `WaSim`): it scans their QR
 * codes or takes the pairing code the user types, then pairs them as linked devices.
 */
export class PhoneLinking {
  constructor(private readonly deps: PhoneLinkingDeps) {}

  private get late2026(): boolean {
    return isLate2026(this.deps.options)
  }

  async scanQr(qr: string, options: { accountPn?: string } = {}): Promise<LinkOutcome> {
    const scanned = parsePairingQr(qr)
    const connection = this.deps.server.registering(scanned.ref)
    const registration = connection?.registration
    if (!connection?.isOpen || !registration) throw new Error('QR code ref is unknown or expired')
    // A QR code only links the connection that displays it: its keys must be the registering ones.
    if (!sameKey(scanned.noiseKey, registration.noiseKey) || !sameKey(scanned.identityKey, registration.identityKey)) {
      throw new Error('QR code keys do not match the registering connection')
    }
    if (this.late2026) {
      if (registration.retiredAdvSecrets.some(secret => sameKey(secret, scanned.advSecret))) {
        throw new LinkRefusedError("couldn't link device: the QR code carries an ADV secret the server retired")
      }
      const firstScan = !registration.advRefresh
      if (firstScan) {
        registration.retiredAdvSecrets.push(scanned.advSecret)
        registration.advRefresh = this.refreshAdvSecret(connection)
      }
      // A scan racing the refresh's ack waits for it, as the server orders them.
      if (!(await registration.advRefresh)) throw new LinkRefusedError("couldn't link device: the companion did not acknowledge companion_reg_refresh")
      if (firstScan) return { kind: 'refresh-requested' }
    }
    const account = this.deps.directory.addAccount(options.accountPn ?? this.nextAccountPn())
    if (this.late2026 && account.passkeyRequired) return this.requestPasskey(connection, account)
    return { kind: 'linked', link: await this.completePairing(connection, registration, account, scanned.advSecret) }
  }

  async linkWithQr(
    currentQr: () => string | undefined | Promise<string | undefined>,
    options: { accountPn?: string; timeoutMs?: number } = {}
  ): Promise<LinkResult> {
    const deadline = Date.now() + (options.timeoutMs ?? 10_000)
    let scannedQr: string | undefined
    while (Date.now() < deadline) {
      const qr = await currentQr()
      if (!qr || qr === scannedQr) {
        await new Promise(resolve => setTimeout(resolve, 20))
        continue
      }
      scannedQr = qr
      const outcome = await this.scanQr(qr, options)
      if (outcome.kind === 'linked') return outcome.link
      if (outcome.kind === 'passkey-requested') throw new LinkRefusedError('the account requires a passkey to link a device')
    }
    throw new Error('no QR code to scan (or no refreshed one) appeared in time')
  }

  async enterPairingCode(phoneNumber: string, typedCode: string): Promise<LinkOutcome> {
    const request = await this.deps.linkCodes.pending(phoneNumber)
    const registration = request?.connection.registration
    if (!request?.connection.isOpen || !registration) {
      const retired = this.deps.linkCodes.retiredReason(phoneNumber)
      throw new LinkRefusedError(
        retired ? `the server dropped the pairing request for ${phoneNumber}: ${retired}` : `no pairing code was requested for ${phoneNumber}`
      )
    }
    // The companion's noise key travels in the hello: only the connection that asked can be linked.
    if (!sameKey(request.hello.companionNoiseKeyPub, registration.noiseKey)) throw new Error('pairing request does not match its connection')
    const code = normalizePairingCode(typedCode)
    const account = this.deps.directory.addAccount(phoneNumber)
    if (this.late2026) {
      const frames = await linkCodeRefreshFrames({
        ids: [this.deps.server.nextIqId(), this.deps.server.nextIqId(), this.deps.server.nextIqId()],
        ref: request.ref,
        phoneIdentityPub: account.phone.identity.public
      })
      for (const frame of frames) await this.deps.replies.sendAwaitingAck(request.connection, frame)
      const retired = this.deps.linkCodes.retiredReason(phoneNumber)
      if (retired) throw new LinkRefusedError(`the server dropped the pairing request for ${phoneNumber}: ${retired}`)
    }
    const companionEphemeralPub = await unwrapCompanionEphemeral(request.hello.wrappedCompanionEphemeralPub, code)
    const { primaryEphemeral, wrappedPrimaryEphemeralPub } = await makePrimaryHello({ code })
    const finished = this.deps.linkCodes.awaitFinish(phoneNumber)
    request.primaryHelloSent = true
    await request.connection.sendNode(
      linkCodeNotification({ id: this.deps.server.nextIqId(), ref: request.ref, phoneIdentityPub: account.phone.identity.public, wrappedPrimaryEphemeralPub })
    )
    const finish = await finished
    this.deps.linkCodes.finished(phoneNumber)
    if (!sameKey(finish.companionIdentityPub, registration.identityKey)) throw new Error('companion identity does not match its registration')
    const { advSecretKey } = openCompanionFinish({
      wrappedKeyBundle: finish.wrappedKeyBundle,
      companionEphemeralPub,
      primaryEphemeralPriv: primaryEphemeral.private,
      phoneIdentity: account.phone.identity,
      companionIdentityPub: finish.companionIdentityPub
    })
    if (this.late2026 && account.passkeyRequired) return this.requestPasskey(request.connection, account)
    return { kind: 'linked', link: await this.completePairing(request.connection, registration, account, advSecretKey) }
  }

  linkedDevices(accountPn: string): LinkedDeviceView[] {
    return [...this.deps.directory.requireAccount(accountPn).devices.values()].map(device => ({ id: device.id, label: device.label }))
  }

  /** Sends `companion_reg_refresh` and resolves with whether the companion acked it in time. */
  private async refreshAdvSecret(connection: Connection): Promise<boolean> {
    const acked = await this.deps.replies.sendAwaitingAck(
      connection,
      companionRegRefreshNotification({ id: this.deps.server.nextIqId(), child: this.deps.options.qrRefreshChild ?? 'companion_reg_refresh' })
    )
    this.deps.events.emit('qr-refresh', { acked })
    return acked
  }

  /** The account is passkey-protected: the server asks for the passkey step and the link waits for it. */
  private async requestPasskey(connection: Connection, account: Account): Promise<LinkOutcome> {
    await connection.sendNode(passkeyPrologueRequest({ id: this.deps.server.nextIqId() }))
    this.deps.events.emit('passkey-requested', { accountPn: account.pn })
    return { kind: 'passkey-requested' }
  }

  private async completePairing(connection: Connection, registration: Registration, account: Account, advSecret: Uint8Array): Promise<LinkResult> {
    this.deps.server.retireRefs(registration)
    const deviceId = account.nextDeviceId++
    const keyIndex = deviceId
    const id = this.deps.server.nextIqId()
    const answer = this.deps.replies.awaitAnswer(id)
    await connection.sendNode(pairSuccessNode({ id, account, deviceId, keyIndex, companionIdentityKey: registration.identityKey, advSecret }))
    const signed = await answer
    if (signed.attrs.type !== 'result') throw new Error('client refused pair-success')
    verifyPairDeviceSign(signed, account, registration.identityKey)
    const device: LinkedDevice = {
      account,
      id: deviceId,
      noiseKey: registration.noiseKey,
      identityKey: registration.identityKey,
      registrationId: registration.registrationId,
      keyIndex,
      signedPreKey: registration.signedPreKey,
      preKeys: new Map(),
      offline: [],
      label: registration.device.label,
      pendingStatuses: new Map()
    }
    account.devices.set(deviceId, device)
    // Before the client is told to log in with it: a device the emulator forgot would log it out.
    this.deps.events.emit('state-changed', 'devices')
    // WhatsApp makes the freshly linked client reconnect and log in with its new identity.
    await connection.streamError({ tag: 'stream:error', attrs: { code: '515' } })
    const result = { accountPn: account.pn, lid: account.lid, deviceId, jid: `${account.pn}:${deviceId}@s.whatsapp.net` }
    this.deps.events.emit('paired', result)
    return result
  }

  private nextAccountPn(): string {
    return `1555${`${Math.floor(Math.random() * 1e7)}`.padStart(7, '0')}`
  }
}
