import { generateKeyPair, randomBytes } from 'node:crypto'
import { Agent as HttpsAgent } from 'node:https'
import { promisify } from 'node:util'
import forge from 'node-forge'
import { Agent as UndiciAgent } from 'undici'

export type TlsAuthority = {
  /** The run-time root: the only thing a client must trust. */
  caPem: string
  /** Server certificate for 127.0.0.1 / localhost, signed by the root. */
  certPem: string
  keyPem: string
}

export type TlsAuthorityOptions = {
  /** Validity of both certificates; the clock is set back one hour to absorb skew. */
  validDays?: number
  commonName?: string
}

/** What the global `fetch` accepts as `dispatcher` (typed by the undici-types bundled with @types/node). */
export type FetchDispatcher = NonNullable<RequestInit['dispatcher']>

/**
 * What a Baileys client needs to trust the authority, and nothing else.
 * - `fetchAgent` (a `node:https` Agent): Baileys' Node upload path passes it to `https.request`.
 * - `dispatcher` (an undici Agent): Baileys' downloads call global `fetch` with `options.dispatcher`.
 */
export type TrustingAgents = {
  fetchAgent: HttpsAgent
  dispatcher: FetchDispatcher
  close(): Promise<void>
}

/** The `makeWASocket` config fragment; merge `options` with any headers the caller already sets. */
export type BaileysTrustConfig = {
  fetchAgent: HttpsAgent
  options: { dispatcher: FetchDispatcher }
}

const generateRsaKeyPair = promisify(generateKeyPair)

const newKeyPair = async (): Promise<{ privatePem: string; publicPem: string }> => {
  const { privateKey, publicKey } = await generateRsaKeyPair('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' }
  })
  return { privatePem: privateKey, publicPem: publicKey }
}

/** X.509 serials must be positive: a leading 0x01 keeps the DER integer's sign bit clear. */
const randomSerial = (): string => `01${randomBytes(15).toString('hex')}`

const validity = (cert: forge.pki.Certificate, validDays: number): void => {
  const now = Date.now()
  cert.validity.notBefore = new Date(now - 60 * 60 * 1000)
  cert.validity.notAfter = new Date(now + validDays * 24 * 60 * 60 * 1000)
}

export const createTlsAuthority = async (options: TlsAuthorityOptions = {}): Promise<TlsAuthority> => {
  const validDays = options.validDays ?? 7
  const commonName = options.commonName ?? 'wa-sim media host'
  const [caKeys, serverKeys] = await Promise.all([newKeyPair(), newKeyPair()])
  const caPrivate = forge.pki.privateKeyFromPem(caKeys.privatePem)

  const caSubject = [
    { name: 'commonName', value: `${commonName} root CA` },
    { name: 'organizationName', value: 'wa-sim' }
  ]
  const ca = forge.pki.createCertificate()
  ca.serialNumber = randomSerial()
  ca.publicKey = forge.pki.publicKeyFromPem(caKeys.publicPem)
  validity(ca, validDays)
  ca.setSubject(caSubject)
  ca.setIssuer(caSubject)
  ca.setExtensions([
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' }
  ])
  ca.sign(caPrivate, forge.md.sha256.create())

  const server = forge.pki.createCertificate()
  server.serialNumber = randomSerial()
  server.publicKey = forge.pki.publicKeyFromPem(serverKeys.publicPem)
  validity(server, validDays)
  server.setSubject([{ name: 'commonName', value: 'localhost' }])
  server.setIssuer(caSubject)
  server.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [
        { type: 7, ip: '127.0.0.1' },
        { type: 2, value: 'localhost' }
      ]
    },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: ca.generateSubjectKeyIdentifier().getBytes() }
  ])
  server.sign(caPrivate, forge.md.sha256.create())

  return {
    caPem: forge.pki.certificateToPem(ca),
    certPem: forge.pki.certificateToPem(server),
    keyPem: serverKeys.privatePem
  }
}

/**
 * Agents that trust `caPem` (and only it) for one Baileys client, so the process-wide trust store
 * is left alone (no NODE_EXTRA_CA_CERTS, no NODE_TLS_REJECT_UNAUTHORIZED).
 */
export const makeTrustingAgents = (caPem: string): TrustingAgents => {
  const fetchAgent = new HttpsAgent({ ca: caPem })
  const undiciAgent = new UndiciAgent({ connect: { ca: caPem } })
  return {
    fetchAgent,
    // undici 7's types differ from Node 20's bundled undici-types, but its Agent is accepted by the
    // global fetch at run time (media-host.test.ts proves it).
    dispatcher: undiciAgent as unknown as FetchDispatcher,
    close: async () => {
      fetchAgent.destroy()
      await undiciAgent.close()
    }
  }
}

export const baileysTrustConfig = (agents: TrustingAgents): BaileysTrustConfig => ({
  fetchAgent: agents.fetchAgent,
  options: { dispatcher: agents.dispatcher }
})
