import metadata from 'libphonenumber-js/max/metadata'
import { phoneNumbers } from './phone.ts'

/** Phone numbers with libphonenumber's full metadata, imported: for Node (the host, the Node gateway, tests). */
export const MAX_PHONE_NUMBERS = phoneNumbers(metadata)
export const { normalizePhone, requireJid } = MAX_PHONE_NUMBERS
export { metadata as MAX_PHONE_METADATA }
