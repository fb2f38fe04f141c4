import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { Curve, proto, WA_CERT_DETAILS } from '@whiskeysockets/baileys'
import { makeCertChain } from './cert-chain.ts'
import { verifyXEdDSA } from './xeddsa.ts'

/** The checks of Baileys' noise-handler, done with a verifier that really verifies. */
const verifyChain = (encoded: Uint8Array, rootPublic: Uint8Array, serverStatic: Uint8Array): boolean => {
  const { intermediate, leaf } = proto.CertChain.decode(encoded)
  if (!intermediate?.details || !intermediate.signature || !leaf?.details || !leaf.signature) return false
  const intermediateDetails = proto.CertChain.NoiseCertificate.Details.decode(intermediate.details)
  const leafDetails = proto.CertChain.NoiseCertificate.Details.decode(leaf.details)
  return (
    intermediateDetails.issuerSerial === WA_CERT_DETAILS.SERIAL &&
    verifyXEdDSA(rootPublic, intermediate.details, intermediate.signature) &&
    verifyXEdDSA(intermediateDetails.key!, leaf.details, leaf.signature) &&
    leafDetails.issuerSerial === intermediateDetails.serial &&
    Buffer.from(leafDetails.key!).equals(Buffer.from(serverStatic))
  )
}

describe('the noise certificate chain', () => {
  it('is signed root → intermediate → leaf, and the leaf certifies the server static key', () => {
    const serverStatic = Curve.generateKeyPair()
    const chain = makeCertChain(serverStatic)
    assert.equal(verifyChain(chain.encoded, chain.root.public, serverStatic.public), true)
  })

  it('fails verification against another root, or when a signature is tampered with', () => {
    const serverStatic = Curve.generateKeyPair()
    const chain = makeCertChain(serverStatic)
    assert.equal(verifyChain(chain.encoded, Curve.generateKeyPair().public, serverStatic.public), false)
    const decoded = proto.CertChain.decode(chain.encoded)
    const signature = Buffer.from(decoded.leaf!.signature!)
    signature[5] = signature[5]! ^ 0xff
    decoded.leaf!.signature = signature
    assert.equal(verifyChain(proto.CertChain.encode(decoded).finish(), chain.root.public, serverStatic.public), false)
  })
  // That a Baileys which verifies the chain links once it trusts this root: sessions/noise-root.test.ts.
})
