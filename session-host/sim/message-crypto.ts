import { encodeWAMessage, getBinaryNodeChild, getBinaryNodeChildren, proto, unpadRandomMax16 } from '@whiskeysockets/baileys'
import type { BinaryNode } from '@whiskeysockets/baileys'
import type { Directory, LinkedDevice } from './directory.ts'
import { takeDeviceBundle } from './iq-answers.ts'
import { signalAddress } from './signal-peer.ts'
import type { EncType, SignalPeer } from './signal-peer.ts'

/** One recipient device's copy of a message, as that device decrypted it. */
export type DecryptedCopy = { jid: string; encType: EncType; message: proto.IMessage }

/** The Signal address under which simulated peers keep their session with a linked device. */
export const deviceAddress = (device: LinkedDevice) => signalAddress(device.account.lid, device.id)

/** The simulated device that a `<to jid>` names: a contact's phone or the sender's own phone. */
const recipientPeer = (jid: string, directory: Directory): SignalPeer | undefined => {
  const peer = directory.resolve(jid)
  const device = Number(jid.split('@')[0]?.split(':')[1] ?? 0)
  if (device !== 0) return undefined
  if (peer?.kind === 'account') return peer.account.phone
  if (peer?.kind === 'contact' && peer.contact.onWhatsApp) return peer.contact.peer
  return undefined
}

const encNodes = (stanza: BinaryNode): { jid: string; enc: BinaryNode }[] => {
  const direct = getBinaryNodeChildren(stanza, 'enc').map(enc => ({ jid: stanza.attrs.to ?? '', enc }))
  const fannedOut = getBinaryNodeChildren(getBinaryNodeChild(stanza, 'participants'), 'to').flatMap(to =>
    getBinaryNodeChildren(to, 'enc').map(enc => ({ jid: to.attrs.jid ?? '', enc }))
  )
  return [...direct, ...fannedOut]
}

/** Decrypts every copy of an outgoing `<message>` that a simulated device can read. */
export const decryptOutgoing = async (
  stanza: BinaryNode,
  sender: LinkedDevice,
  directory: Directory
): Promise<{ decrypted: DecryptedCopy[]; failures: { jid: string; error: string }[] }> => {
  const decrypted: DecryptedCopy[] = []
  const failures: { jid: string; error: string }[] = []
  for (const { jid, enc } of encNodes(stanza)) {
    const encType = enc.attrs.type
    const peer = recipientPeer(jid, directory)
    if (!peer || (encType !== 'pkmsg' && encType !== 'msg') || !(enc.content instanceof Uint8Array)) {
      failures.push({ jid, error: `cannot decrypt ${encType ?? 'unknown'} for ${jid}` })
      continue
    }
    try {
      const padded = await peer.decrypt(deviceAddress(sender), encType, enc.content)
      decrypted.push({ jid, encType, message: proto.Message.decode(unpadRandomMax16(padded)) })
    } catch (error) {
      failures.push({ jid, error: error instanceof Error ? error.message : String(error) })
    }
  }
  return { decrypted, failures }
}

/** Encrypts a message from a simulated peer to one linked device, as the peer's phone would. */
export const encryptForDevice = async (from: SignalPeer, device: LinkedDevice, message: proto.IMessage): Promise<{ type: EncType; ciphertext: Buffer }> =>
  from.encrypt(deviceAddress(device), encodeWAMessage(message), () => takeDeviceBundle(device))
