import { Curve, proto } from '@whiskeysockets/baileys'
import type { KeyPair } from '@whiskeysockets/baileys'

/** Baileys requires the intermediate's issuer serial to be WhatsApp's root serial, 0. */
const ROOT_SERIAL = 0
const INTERMEDIATE_SERIAL = 1
const LEAF_SERIAL = 2

export type CertChain = {
  /** The emulator's own root: what `WA_CERT_DETAILS.PUBLIC_KEY` must hold for a verifying client. */
  root: KeyPair
  /** Encoded `proto.CertChain`, sent inside the ServerHello. */
  encoded: Uint8Array
}

/**
 * Builds root → intermediate → leaf, each signed by its issuer with XEdDSA, the way WhatsApp's
 * servers present theirs. The leaf certifies the server's static noise key.
 */
export const makeCertChain = (serverStatic: KeyPair, root: KeyPair = Curve.generateKeyPair()): CertChain => {
  const intermediateKey = Curve.generateKeyPair()
  const intermediateDetails = proto.CertChain.NoiseCertificate.Details.encode({
    serial: INTERMEDIATE_SERIAL,
    issuerSerial: ROOT_SERIAL,
    key: intermediateKey.public,
    notBefore: 0,
    notAfter: 0
  }).finish()
  const leafDetails = proto.CertChain.NoiseCertificate.Details.encode({
    serial: LEAF_SERIAL,
    issuerSerial: INTERMEDIATE_SERIAL,
    key: serverStatic.public,
    notBefore: 0,
    notAfter: 0
  }).finish()
  const encoded = proto.CertChain.encode({
    intermediate: { details: intermediateDetails, signature: Curve.sign(root.private, intermediateDetails) },
    leaf: { details: leafDetails, signature: Curve.sign(intermediateKey.private, leafDetails) }
  }).finish()
  return { root, encoded }
}
