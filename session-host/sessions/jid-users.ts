/** The user part of a JID on `server` (a device suffix dropped), when it is digits. */
const userOn = (jid: string | null | undefined, server: string): string | undefined => {
  if (!jid?.endsWith(`@${server}`)) return undefined
  const user = jid.split('@')[0]?.split(':')[0]
  return user && /^\d{1,20}$/.test(user) ? user : undefined
}

/** The user part of a LID JID (`123@lid`, `123:4@lid`), or undefined for any other JID. */
export const lidUserOf = (jid: string | null | undefined): string | undefined => userOn(jid, 'lid')

/** The phone number of a phone JID (`62811…@s.whatsapp.net`, with or without a device), or undefined. */
export const phoneUserOf = (jid: string | null | undefined): string | undefined => userOn(jid, 's.whatsapp.net')
