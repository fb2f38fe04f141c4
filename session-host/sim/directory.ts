import { randomInt } from 'node:crypto'
import type { BinaryNode } from '@whiskeysockets/baileys'
import { SignalPeer } from './signal-peer.ts'
import type { PeerKeys } from './signal-peer.ts'

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

/**
 * What the emulator keeps across a restart (the sandbox writes it to its data folder): accounts
 * with their phones and linked devices, and contacts, as the keys that make them the same again.
 * Not kept: Signal sessions, one-time prekeys, offline stanzas (see PeerKeys).
 */
export type DirectorySnapshot = {
  accounts: (Pick<Account, 'pn' | 'lid' | 'pushName' | 'nextDeviceId' | 'passkeyRequired'> & {
    phone: PeerKeys
    devices: Pick<LinkedDevice, 'id' | 'noiseKey' | 'identityKey' | 'registrationId' | 'keyIndex' | 'signedPreKey' | 'label'>[]
  })[]
  contacts: (Pick<Contact, 'pn' | 'lid' | 'pushName' | 'onWhatsApp'> & { peer: PeerKeys })[]
}

const randomLid = (): string => `${randomInt(100_000, 999_999)}${randomInt(100_000_000, 999_999_999)}`

const userOf = (jidOrUser: string): string => jidOrUser.replace(/^\+/, '').split('@')[0]!.split(':')[0]!

/** Everyone the emulator knows, by phone number and by LID. */
export class Directory {
  private readonly accounts = new Map<string, Account>()
  private readonly contacts = new Map<string, Contact>()
  private readonly byLid = new Map<string, Peer>()

  constructor(
    private readonly options: {
      /** Any well-formed number is a contact (sandbox mode). */
      autoContacts: boolean
      /** The sandbox's test numbers: one ending in 0000 has no WhatsApp account. */
      magicNumbers?: boolean
      /** Called when who exists changes (an account, a device or a contact), so it can be saved. */
      onChange?: () => void
    }
  ) {}

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
    this.options.onChange?.()
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
    this.options.onChange?.()
    return contact
  }

  account(pn: string): Account | undefined {
    return this.accounts.get(userOf(pn))
  }

  /** For what only an existing account can do (its phone, its devices). */
  requireAccount(pn: string): Account {
    const account = this.account(pn)
    if (!account) throw new Error(`unknown account ${pn}`)
    return account
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
    const contact =
      this.contacts.get(user) ??
      (this.options.autoContacts && /^\d{6,15}$/.test(user)
        ? this.addContact(user, this.options.magicNumbers && user.endsWith('0000') ? { onWhatsApp: false } : {})
        : undefined)
    return contact ? { kind: 'contact', contact } : undefined
  }

  snapshot(): DirectorySnapshot {
    return {
      accounts: [...this.accounts.values()].map(account => ({
        pn: account.pn,
        lid: account.lid,
        pushName: account.pushName,
        nextDeviceId: account.nextDeviceId,
        passkeyRequired: account.passkeyRequired,
        phone: account.phone.keys(),
        devices: [...account.devices.values()].map(({ id, noiseKey, identityKey, registrationId, keyIndex, signedPreKey, label }) => ({
          id,
          noiseKey,
          identityKey,
          registrationId,
          keyIndex,
          signedPreKey,
          label
        }))
      })),
      contacts: [...this.contacts.values()].map(({ pn, lid, pushName, onWhatsApp, peer }) => ({ pn, lid, pushName, onWhatsApp, peer: peer.keys() }))
    }
  }

  /** Takes back what `snapshot` kept: the same accounts, devices and contacts, with the same keys. */
  restore(snapshot: DirectorySnapshot): void {
    for (const saved of snapshot.accounts) {
      const account: Account = { ...saved, phone: new SignalPeer(saved.phone), devices: new Map() }
      for (const device of saved.devices) account.devices.set(device.id, { ...device, account, preKeys: new Map(), offline: [], pendingStatuses: new Map() })
      this.accounts.set(account.pn, account)
      this.byLid.set(account.lid, { kind: 'account', account })
    }
    for (const saved of snapshot.contacts) {
      const contact: Contact = { ...saved, peer: new SignalPeer(saved.peer) }
      this.contacts.set(contact.pn, contact)
      this.byLid.set(contact.lid, { kind: 'contact', contact })
    }
  }

  findDeviceByNoiseKey(noiseKey: Uint8Array): LinkedDevice | undefined {
    for (const account of this.accounts.values()) {
      for (const device of account.devices.values()) if (device.noiseKey.equals(noiseKey)) return device
    }
    return undefined
  }
}
