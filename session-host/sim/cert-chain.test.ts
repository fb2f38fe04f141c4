import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { Curve, proto, WA_CERT_DETAILS } from '@whiskeysockets/baileys'
import { makeCertChain } from './cert-chain.ts'
import { WaSim } from './wa-sim.ts'
import { verifyXEdDSA } from './xeddsa.ts'
import { BaileysDriver } from './testing/baileys-driver.ts'

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

  describe('with Baileys trusting the emulator root, as a verifying Baileys would have to', () => {
    const original = Buffer.from(WA_CERT_DETAILS.PUBLIC_KEY)
    const sim = new WaSim()
    after(async () => {
      WA_CERT_DETAILS.PUBLIC_KEY.set(original)
      await sim.stop()
    })

    it('links and opens', async () => {
      const url = await sim.start()
      WA_CERT_DETAILS.PUBLIC_KEY.set(sim.certRoot)
      const driver = new BaileysDriver({ url, sim, scanAs: '15550020001' }).start()
      try {
        await driver.waitOpen()
        assert.deepEqual(driver.closeCodes, [515])
      } finally {
        await driver.stop()
      }
    })
  })
})
