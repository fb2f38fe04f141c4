import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { getCompanionPlatformId } from '@whiskeysockets/baileys'
import { companionHelloRefusal } from '../sim/pairing-code.ts'
import { companionBrowser, pairingCodeDisplay } from './companion-device.ts'

describe('how a session presents itself to WhatsApp', () => {
  it('lists the device under its label, as Chrome (platform id 1)', () => {
    const browser = companionBrowser('Toko Maju OTP')
    assert.equal(browser[0], 'Toko Maju OTP')
    assert.equal(browser[1], 'Chrome')
    assert.equal(getCompanionPlatformId(browser), '1')
  })

  it('puts the real OS, never the label, in the pairing display, and the server accepts it on every host platform', () => {
    for (const [platform, os] of [
      ['linux', 'Linux'],
      ['darwin', 'Mac OS'],
      ['win32', 'Windows'],
      ['freebsd', 'Linux']
    ] as const) {
      const display = pairingCodeDisplay(companionBrowser('Toko Maju OTP'), platform)
      assert.equal(display, `Chrome (${os})`)
      assert.equal(companionHelloRefusal({ platformId: '1', platformDisplay: display }), undefined, display)
    }
  })
})
