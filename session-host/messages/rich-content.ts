import { proto } from '@whiskeysockets/baileys'
import type { AnyMessageContent } from '@whiskeysockets/baileys'
import type { z } from 'zod'
import type { ButtonsContent, ContactCard, ContactsContent, ListContent, LocationContent, PollContent, ReactionContent } from '../../shared/rich-messages.ts'

/** What Baileys sends: its content shorthand, or a raw proto message for what the shorthand lacks. */
export type Outgoing = { content: AnyMessageContent } | { raw: proto.IMessage }

// vCard 3.0 text values escape backslash, comma, semicolon and newlines (RFC 2426 §4).
const escapeVcard = (value: string) => value.replace(/\\/g, '\\\\').replace(/,/g, '\\,').replace(/;/g, '\\;').replace(/\r?\n/g, '\\n')

/** A vCard WhatsApp shows with "Message" and "Add contact": `waid` links it to the account. */
export const vcardOf = (card: z.infer<typeof ContactCard>): string => {
  const digits = card.phoneNumber.replace(/\D/g, '')
  return [
    'BEGIN:VCARD',
    'VERSION:3.0',
    `FN:${escapeVcard(card.fullName)}`,
    ...(card.organization ? [`ORG:${escapeVcard(card.organization)}`] : []),
    `TEL;type=CELL;type=VOICE;waid=${digits}:+${digits}`,
    ...(card.email ? [`EMAIL:${escapeVcard(card.email)}`] : []),
    'END:VCARD'
  ].join('\n')
}

export const locationMessage = (input: z.infer<typeof LocationContent>): Outgoing => ({
  content: {
    location: {
      degreesLatitude: input.latitude,
      degreesLongitude: input.longitude,
      ...(input.name ? { name: input.name } : {}),
      ...(input.address ? { address: input.address } : {})
    }
  }
})

export const contactsMessage = (input: z.infer<typeof ContactsContent>): Outgoing => ({
  content: {
    contacts: {
      displayName: input.contacts.length === 1 ? input.contacts[0]!.fullName : `${input.contacts.length} contacts`,
      contacts: input.contacts.map(card => ({ displayName: card.fullName, vcard: vcardOf(card) }))
    }
  }
})

export const reactionMessage = (jid: string, input: z.infer<typeof ReactionContent>): Outgoing => ({
  content: { react: { text: input.emoji, key: { remoteJid: jid, id: input.messageId, fromMe: input.fromMe } } }
})

export const pollMessage = (input: z.infer<typeof PollContent>): Outgoing => ({
  content: { poll: { name: input.name, values: input.options, selectableCount: input.selectableCount } }
})

/** Baileys 7 dropped the buttons shorthand, so the proto is built here (see the README on rendering). */
export const buttonsMessage = (input: z.infer<typeof ButtonsContent>): Outgoing => ({
  raw: {
    buttonsMessage: {
      contentText: input.text,
      ...(input.footer ? { footerText: input.footer } : {}),
      headerType: proto.Message.ButtonsMessage.HeaderType.EMPTY,
      buttons: input.buttons.map(button => ({
        buttonId: button.id,
        buttonText: { displayText: button.text },
        type: proto.Message.ButtonsMessage.Button.Type.RESPONSE
      }))
    }
  }
})

export const listMessage = (input: z.infer<typeof ListContent>): Outgoing => ({
  raw: {
    listMessage: {
      description: input.text,
      buttonText: input.buttonText,
      listType: proto.Message.ListMessage.ListType.SINGLE_SELECT,
      ...(input.title ? { title: input.title } : {}),
      ...(input.footer ? { footerText: input.footer } : {}),
      sections: input.sections.map(section => ({
        title: section.title,
        rows: section.rows.map(row => ({ rowId: row.id, title: row.title, ...(row.description ? { description: row.description } : {}) }))
      }))
    }
  }
})
