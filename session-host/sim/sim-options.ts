import type { KeyPair } from '@whiskeysockets/baileys'
import type { DirectorySnapshot } from './directory.ts'
import type { QrRefreshChild } from './server-2026-stanzas.ts'

/** The subset of a pino logger the emulator writes to. */
export type SimLogger = {
  debug(fields: object, message?: string): void
  info(fields: object, message?: string): void
  warn(fields: object, message?: string): void
}

export const silentLogger: SimLogger = { debug: () => {}, info: () => {}, warn: () => {} }

/**
 * The WhatsApp server the emulator plays. `late-2026` answers as WhatsApp does today
 * (`../shared/wa-sim/SERVER-2026.md`); `spring-2026` is the server it was first written against,
 * kept only for the emulator's own unit tests.
 */
export type ServerGeneration = 'late-2026' | 'spring-2026'

export type WaSimOptions = {
  logger?: SimLogger
  /** Default `late-2026`. */
  server?: ServerGeneration
  /** The child of the `companion_reg_refresh` notification sent after a QR scan (late-2026). */
  qrRefreshChild?: QrRefreshChild
  /**
   * How long a linked device may leave a top-level `<status>` un-acked before the server
   * recycles its stream (late-2026); about 50 minutes, as WhatsApp does.
   */
  statusAckBudgetMs?: number
  /** How long the server waits for the ack of a notification the companion must act on. */
  ackTimeoutMs?: number
  /** Accounts, devices and contacts to start with (what `snapshot()` returned before a restart). */
  state?: DirectorySnapshot
  /**
   * The sandbox's test numbers, by their last four digits: `0000` has no WhatsApp account, `0463`
   * is refused with 463, `0408` is never acknowledged, `0001` is delivered but never read.
   */
  magicNumbers?: boolean
  /** Recipients' phones send a delivery receipt, then a read receipt, this long after a message. */
  autoReceipts?: { deliveredAfterMs: number; readAfterMs: number }
  /** Keep only the latest this many entries of `sent` (unbounded when unset). */
  sentLimit?: number
  /**
   * Ends Baileys' 20 s wait for a first history sync by having the phone send a FULL
   * history-sync notification after each login (Baileys skips FULL syncs by default).
   */
  endInitialSync?: boolean
  /** Sandbox mode: any well-formed number is a reachable contact. */
  autoContacts?: boolean
  /** QR refs offered per registration; Baileys ends with 408 when they run out. */
  qrRefs?: number
  /** Serve media (uploads and inbound attachments) from a loopback HTTPS host with its own CA. */
  media?: boolean
  /** The root of the noise certificate chain; generated when absent. */
  rootKey?: KeyPair
}

/** Whether it answers as today's server (the default) rather than the spring-2026 one. */
export const isLate2026 = (options: WaSimOptions): boolean => (options.server ?? 'late-2026') === 'late-2026'
