import { getBinaryNodeChild, getBinaryNodeChildren, S_WHATSAPP_NET } from '@whiskeysockets/baileys'
import type { BinaryNode } from '@whiskeysockets/baileys'
import type { Directory, LinkedDevice } from './directory.ts'
import type { PreKeyBundle } from './signal-peer.ts'

export type IqContext = {
  directory: Directory
  /** The linked device asking; undefined while a client is still registering. */
  device?: LinkedDevice
  mediaHost?: string
  /** Called with each number a usync contact query asks about ("is it on WhatsApp?"). */
  onNumberCheck?: (jid: string) => void
}

/** The error a query is answered with instead of its result. */
export type IqRefusal = { code: number; text: string }

export type IqHandler = (iq: BinaryNode, ctx: IqContext) => BinaryNode[] | undefined

const u = (value: number, bytes: number): Buffer => {
  const buffer = Buffer.alloc(bytes)
  buffer.writeUIntBE(value, 0, bytes)
  return buffer
}

const child = (tag: string, content?: BinaryNode['content'], attrs: Record<string, string> = {}): BinaryNode =>
  content === undefined ? { tag, attrs } : { tag, attrs, content }

const bytesOf = (node: BinaryNode | undefined): Buffer | undefined => (node?.content instanceof Uint8Array ? Buffer.from(node.content) : undefined)

export const resultIq = (iq: BinaryNode, content?: BinaryNode[]): BinaryNode => ({
  tag: 'iq',
  attrs: { from: S_WHATSAPP_NET, type: 'result', id: iq.attrs.id ?? '' },
  ...(content ? { content } : {})
})

export const errorIq = (iq: BinaryNode, code: number, text: string): BinaryNode => ({
  tag: 'iq',
  attrs: { from: S_WHATSAPP_NET, type: 'error', id: iq.attrs.id ?? '' },
  content: [{ tag: 'error', attrs: { code: `${code}`, text } }]
})

const bundleNode = (jid: string, bundle: PreKeyBundle): BinaryNode =>
  child(
    'user',
    [
      child('registration', u(bundle.registrationId, 4)),
      child('type', Buffer.from([5])),
      child('identity', Buffer.from(bundle.identityKey)),
      child('skey', [
        child('id', u(bundle.signedPreKey.keyId, 3)),
        child('value', Buffer.from(bundle.signedPreKey.publicKey)),
        child('signature', Buffer.from(bundle.signedPreKey.signature))
      ]),
      child('key', [child('id', u(bundle.preKey.keyId, 3)), child('value', Buffer.from(bundle.preKey.publicKey))])
    ],
    { jid }
  )

/** The bundle a linked Baileys device uploaded, with one of its one-time prekeys taken. */
export const takeDeviceBundle = (device: LinkedDevice): PreKeyBundle | undefined => {
  const first = device.preKeys.entries().next()
  if (first.done) return undefined
  const [keyId, publicKey] = first.value
  device.preKeys.delete(keyId)
  return {
    registrationId: device.registrationId,
    identityKey: device.identityKey,
    signedPreKey: device.signedPreKey,
    preKey: { keyId, publicKey }
  }
}

const deviceNumber = (jid: string): number => Number(jid.split('@')[0]?.split(':')[1] ?? 0)

/** `encrypt/get/key`: a prekey bundle per requested device, or a 404 for an unknown one. */
const keyBundles: IqHandler = (iq, { directory }) => {
  const users = getBinaryNodeChildren(getBinaryNodeChild(iq, 'key'), 'user')
  return [
    child(
      'list',
      users.map(({ attrs: { jid = '' } }) => {
        const peer = directory.resolve(jid)
        const device = deviceNumber(jid)
        let bundle: PreKeyBundle | undefined
        if (peer?.kind === 'contact' && peer.contact.onWhatsApp && device === 0) bundle = peer.contact.peer.takeBundle()
        if (peer?.kind === 'account') {
          const linked = peer.account.devices.get(device)
          bundle = device === 0 ? peer.account.phone.takeBundle() : linked && takeDeviceBundle(linked)
        }
        return bundle ? bundleNode(jid, bundle) : child('user', [child('error', undefined, { code: '404', text: 'item-not-found' })], { jid })
      })
    )
  ]
}

const preKeyUpload: IqHandler = (iq, { device }) => {
  if (!device) return undefined
  for (const key of getBinaryNodeChildren(getBinaryNodeChild(iq, 'list'), 'key')) {
    const id = bytesOf(getBinaryNodeChild(key, 'id'))
    const value = bytesOf(getBinaryNodeChild(key, 'value'))
    if (id && value) device.preKeys.set(id.readUIntBE(0, id.length), value)
  }
  const skey = getBinaryNodeChild(iq, 'skey')
  const skeyId = bytesOf(getBinaryNodeChild(skey, 'id'))
  const skeyValue = bytesOf(getBinaryNodeChild(skey, 'value'))
  const skeySignature = bytesOf(getBinaryNodeChild(skey, 'signature'))
  if (skeyId && skeyValue && skeySignature) {
    device.signedPreKey = { keyId: skeyId.readUIntBE(0, skeyId.length), publicKey: skeyValue, signature: skeySignature }
  }
  return []
}

const rotateSignedPreKey: IqHandler = (iq, ctx) => preKeyUpload({ ...iq, content: getBinaryNodeChild(iq, 'rotate')?.content ?? [] }, ctx)

/** `usync`: devices, LIDs and "is on WhatsApp" per user, the way the contact directory answers. */
const usync: IqHandler = (iq, { directory, device, onNumberCheck }) => {
  const usyncNode = getBinaryNodeChild(iq, 'usync')
  const protocols = (getBinaryNodeChild(usyncNode, 'query')?.content as BinaryNode[] | undefined)?.map(p => p.tag) ?? []
  const users = getBinaryNodeChildren(getBinaryNodeChild(usyncNode, 'list'), 'user')
  const answered = users.map(user => {
    const phone = getBinaryNodeChild(user, 'contact')?.content
    const asked =
      user.attrs.jid ??
      (phone
        ? `${Buffer.from(phone as Uint8Array)
            .toString()
            .replace(/^\+/, '')}@s.whatsapp.net`
        : '')
    if (protocols.includes('contact')) onNumberCheck?.(asked)
    const peer = directory.resolve(asked)
    const onWhatsApp = peer?.kind === 'account' || (peer?.kind === 'contact' && peer.contact.onWhatsApp)
    const lid = peer?.kind === 'account' ? peer.account.lid : peer?.contact.lid
    const content = protocols.map(protocol => {
      switch (protocol) {
        case 'devices': {
          const devices = [child('device', undefined, { id: '0' })]
          if (peer?.kind === 'account' && device?.account === peer.account) {
            devices.push(child('device', undefined, { id: `${device.id}`, 'key-index': `${device.keyIndex}` }))
          }
          return child('devices', [child('device-list', onWhatsApp ? devices : [])])
        }
        case 'lid':
          return onWhatsApp && lid && !asked.endsWith('@lid') ? child('lid', undefined, { val: `${lid}@lid` }) : child('lid')
        case 'contact':
          return child('contact', undefined, { type: onWhatsApp ? 'in' : 'out' })
        default:
          return child(protocol)
      }
    })
    return child('user', content, { jid: asked })
  })
  return [
    child(
      'usync',
      [
        child(
          'result',
          protocols.map(p => child(p))
        ),
        child('list', answered)
      ],
      {
        sid: usyncNode?.attrs.sid ?? '',
        mode: usyncNode?.attrs.mode ?? 'query',
        last: 'true',
        index: '0',
        context: usyncNode?.attrs.context ?? 'interactive'
      }
    )
  ]
}

const mediaConn: IqHandler = (_iq, { mediaHost }) => [
  child('media_conn', mediaHost ? [child('host', undefined, { hostname: mediaHost, maxContentLengthBytes: `${64 * 1024 * 1024}` })] : [], {
    auth: 'sim-media-auth',
    ttl: '300',
    auth_ttl: '3600',
    max_buckets: '12'
  })
]

const privacySettings: IqHandler = () => [
  child(
    'privacy',
    ['readreceipts', 'last', 'online', 'profile', 'status', 'groupadd', 'calladd'].map(name =>
      child('category', undefined, { name, value: name === 'readreceipts' ? 'all' : 'contacts' })
    )
  )
]

const HANDLERS: Record<string, IqHandler> = {
  'encrypt/get/count': (_iq, { device }) => [child('count', undefined, { value: `${device?.preKeys.size ?? 0}` })],
  'encrypt/set/registration': preKeyUpload,
  'encrypt/set/rotate': rotateSignedPreKey,
  'encrypt/get/digest': () => [child('digest', [child('type', Buffer.from([5]))])],
  'encrypt/get/key': keyBundles,
  'usync/get/usync': usync,
  'abt/get/props': () => [child('props', [], { protocol: '1', hash: 'sim' })],
  'blocklist/get/': () => [child('list')],
  'privacy/get/privacy': privacySettings,
  'w:m/set/media_conn': mediaConn
}

/** `xmlns/type/firstChild`, and `/stage` when the child has one (the pairing-code stages). */
export const iqKey = (iq: BinaryNode): string => {
  const first = Array.isArray(iq.content) ? iq.content[0] : undefined
  return `${iq.attrs.xmlns ?? ''}/${iq.attrs.type ?? ''}/${first?.tag ?? ''}${first?.attrs.stage ? `/${first.attrs.stage}` : ''}`
}

/**
 * Answers the queries a linked client makes. Unknown ones get an empty result, which is what
 * keeps Baileys from waiting out its query timeout; `known` says whether a handler answered.
 */
export const answerIq = (iq: BinaryNode, ctx: IqContext): { answer: BinaryNode; known: boolean } => {
  const handler = HANDLERS[iqKey(iq)]
  const content = handler?.(iq, ctx)
  return { answer: resultIq(iq, content?.length ? content : undefined), known: handler !== undefined }
}
