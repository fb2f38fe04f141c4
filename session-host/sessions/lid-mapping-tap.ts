import type { AuthenticationState, SignalDataSet } from '@whiskeysockets/baileys'
import type { LidMapping } from './lid-mappings.ts'

/**
 * The mappings in one write of Baileys' signal keys. Its LIDMappingStore (Signal/lid-mapping.js,
 * `storeLIDPNMappings`) keeps each as `<number>` → LID plus `<lid>_reverse` → number, both user
 * parts; the forward entries say it all.
 */
export const mappingsInKeyWrite = (data: SignalDataSet): LidMapping[] =>
  Object.entries(data['lid-mapping'] ?? {}).flatMap(([keyId, lid]) =>
    !keyId.endsWith('_reverse') && typeof lid === 'string' && /^\d+$/.test(keyId) && /^\d+$/.test(lid) ? [{ lid, phone: keyId }] : []
  )

/**
 * The auth state a socket gets, telling `onLearnt` each mapping Baileys stores once it is stored.
 * Every source funnels into that one store: the alternative JIDs of inbound messages
 * (messages-recv.js `handleMessage`, decode-wa-message.js `storeMappingFromEnvelope`), usync
 * answers with a `<lid>` (`getLIDsForPNs`, `onWhatsApp`), history syncs' `lidPnMappings`
 * (process-message.js) and `lid-mapping.update` events (chats.js stores each one).
 */
export const tapLidMappings = (state: AuthenticationState, onLearnt: (mappings: LidMapping[]) => void): AuthenticationState => ({
  creds: state.creds,
  keys: {
    ...state.keys,
    get: (type, ids) => state.keys.get(type, ids),
    set: async data => {
      await state.keys.set(data)
      const learnt = mappingsInKeyWrite(data)
      if (learnt.length > 0) onLearnt(learnt)
    }
  }
})
