import { randomInt } from 'node:crypto'
import type { BinaryNode } from '@whiskeysockets/baileys'
import { SignalPeer } from './signal-peer.ts'

/** A Baileys client linked to an account, known by the keys it registered with. */
export type LinkedDevice = {
  account: Account
  id: number
  /** Static noise key: what authenticates every later login of this device. */
  noiseKey: Buffer
  identityKey: Buffer
  registrationId: number
  keyIndex: number
  signedPreKey: { keyId: number; publicKey: Buffer; signature: Buffer }
  preKeys: Map<number, Buffer>
  /** Stanzas for this device that arrived while it was offline, delivered on its next login. */
  offline: BinaryNode[]
  /** The name the phone shows under Linked devices (the companion's DeviceProps `os`). */
  label: string
  /** Top-level `<status>` stanzas the device has not acked, by id: redelivered at each login. */
  pendingStatuses: Map<string, BinaryNode>
}

/** A WhatsApp account whose simulated phone links Baileys clients as companion devices. */
export type Account = {
  pn: string
  lid: string
  pushName: string
  /** Device 0: the phone, which receives a copy of everything a companion sends. */
  phone: SignalPeer
  devices: Map<number, LinkedDevice>
  nextDeviceId: number
  /** The account must pass a passkey (WebAuthn) step before a device may link. */
  passkeyRequired: boolean
}

/** Someone the accounts can talk to. */
export type Contact = {
  pn: string
  lid: string
  pushName: string
  peer: SignalPeer
  onWhatsApp: boolean
}

export type Peer = { kind: 'account'; account: Account } | { kind: 'contact'; contact: Contact }

const randomLid = (): string => `${randomInt(100_000, 999_999)}${randomInt(100_000_000, 999_999_999)}`

const userOf = (jidOrUser: string): string => jidOrUser.replace(/^\+/, '').split('@')[0]!.split(':')[0]!

/** Everyone the emulator knows, by phone number and by LID. */
export class Directory {
  private readonly accounts = new Map<string, Account>()
  private readonly contacts = new Map<string, Contact>()
  private readonly byLid = new Map<string, Peer>()

  constructor(private readonly autoContacts: boolean) {}

  addAccount(pn: string, options: { lid?: string; pushName?: string; passkeyRequired?: boolean } = {}): Account {
    const existing = this.accounts.get(pn)
    if (existing) {
      if (options.passkeyRequired !== undefined) existing.passkeyRequired = options.passkeyRequired
      return existing
    }
    const account: Account = {
      pn,
      lid: options.lid ?? randomLid(),
      pushName: options.pushName ?? `Account ${pn}`,
      phone: new SignalPeer(),
      devices: new Map(),
      nextDeviceId: 1,
      passkeyRequired: options.passkeyRequired ?? false
    }
    this.accounts.set(pn, account)
    this.byLid.set(account.lid, { kind: 'account', account })
    return account
  }

  addContact(pn: string, options: { lid?: string; pushName?: string; onWhatsApp?: boolean } = {}): Contact {
    const existing = this.contacts.get(pn)
    if (existing) {
      if (options.onWhatsApp !== undefined) existing.onWhatsApp = options.onWhatsApp
      return existing
    }
    const contact: Contact = {
      pn,
      lid: options.lid?.replace(/@lid$/, '') ?? randomLid(),
      pushName: options.pushName ?? `Contact ${pn}`,
      peer: new SignalPeer(),
      onWhatsApp: options.onWhatsApp ?? true
    }
    this.contacts.set(pn, contact)
    this.byLid.set(contact.lid, { kind: 'contact', contact })
    return contact
  }

  account(pn: string): Account | undefined {
    return this.accounts.get(userOf(pn))
  }

  contact(pnOrLid: string): Contact | undefined {
    const peer = this.resolve(pnOrLid)
    return peer?.kind === 'contact' ? peer.contact : undefined
  }

  /** Finds whoever a JID (PN or LID, with or without a device) or a bare number names. */
  resolve(jid: string): Peer | undefined {
    const user = userOf(jid)
    if (jid.endsWith('@lid')) return this.byLid.get(user)
    const account = this.accounts.get(user)
    if (account) return { kind: 'account', account }
    const contact = this.contacts.get(user) ?? (this.autoContacts && /^\d{6,15}$/.test(user) ? this.addContact(user) : undefined)
    return contact ? { kind: 'contact', contact } : undefined
  }

  findDeviceByNoiseKey(noiseKey: Uint8Array): LinkedDevice | undefined {
    for (const account of this.accounts.values()) {
      for (const device of account.devices.values()) if (device.noiseKey.equals(noiseKey)) return device
    }
    return undefined
  }
}
