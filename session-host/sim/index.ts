/** The WhatsApp Web protocol emulator: what the session host's sandbox mode and the tests use. */
export { LinkRefusedError, WaSim, NOT_ON_WHATSAPP_ACK_ERROR } from './wa-sim.ts'
export type { InjectOptions, LinkOutcome, LinkResult, LinkedDeviceView, SentMessage, ServerGeneration, SimLogger, WaSimOptions } from './wa-sim.ts'
export type { QrRefreshChild } from './server-2026-stanzas.ts'
export type { DirectorySnapshot } from './directory.ts'
export type { DecryptedCopy } from './message-crypto.ts'
export type { ReachoutTimelock } from './reachout-timelock.ts'
export { baileysTrustConfig, makeTrustingAgents } from './tls-authority.ts'
export type { BaileysTrustConfig, TrustingAgents } from './tls-authority.ts'
