import { release } from 'node:os'
import type { WABrowserDescription } from '@whiskeysockets/baileys'

/** OS names the server accepts in the pairing display, for the platforms a host runs on. */
const OS_NAMES: Partial<Record<NodeJS.Platform, string>> = { darwin: 'Mac OS', win32: 'Windows', linux: 'Linux', android: 'Android' }

/**
 * rc14's `browser` tuple for a session: `[0]` is the name the phone lists the device under
 * (DeviceProps `os`), `[1]` the browser (platform type and the QR's platform id, Chrome = 1),
 * `[2]` a version.
 */
export const companionBrowser = (label: string): WABrowserDescription => [label, 'Chrome', release()]

/**
 * `companion_platform_display` for pairing by code: `Browser (OS)` with the host's real OS name.
 * The server validates it (`Chrome (Acme)` gets 400) while rc14 would send `browser[1] (browser[0])`,
 * the label, so the label must never reach it.
 */
export const pairingCodeDisplay = (browser: WABrowserDescription, platform: NodeJS.Platform = process.platform): string =>
  `${browser[1]} (${OS_NAMES[platform] ?? 'Linux'})`
