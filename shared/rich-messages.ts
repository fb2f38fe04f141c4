import { z } from './zod.ts'

/**
 * The content of the non-media message types, as the public API takes them (without `to`). The
 * gateway validates them with `to`, the host again with the normalised `jid`.
 */
export const LocationContent = z.object({
  latitude: z.number().min(-90).max(90),
  longitude: z.number().min(-180).max(180),
  name: z.string().max(256).optional(),
  address: z.string().max(1024).optional()
})

export const ButtonsContent = z.object({
  text: z.string().min(1).max(1024),
  footer: z.string().max(60).optional(),
  buttons: z
    .array(z.object({ id: z.string().min(1).max(256), text: z.string().min(1).max(20) }))
    .min(1)
    .max(3)
})

export const ListContent = z.object({
  text: z.string().min(1).max(1024),
  title: z.string().max(60).optional(),
  footer: z.string().max(60).optional(),
  buttonText: z.string().min(1).max(20),
  sections: z
    .array(
      z.object({
        title: z.string().min(1).max(24),
        rows: z
          .array(z.object({ id: z.string().min(1).max(200), title: z.string().min(1).max(24), description: z.string().max(72).optional() }))
          .min(1)
          .max(10)
      })
    )
    .min(1)
    .max(10)
})

export const ContactCard = z.object({
  fullName: z.string().min(1).max(128),
  phoneNumber: z.string().min(3).max(64),
  organization: z.string().max(128).optional(),
  email: z.email().max(254).optional()
})

export const ContactsContent = z.object({ contacts: z.array(ContactCard).min(1).max(10) })

export const ReactionContent = z.object({
  /** The id of the message in this chat to react to. */
  messageId: z.string().regex(/^[A-Za-z0-9]{8,64}$/),
  /** One emoji; an empty string removes the reaction. */
  emoji: z.string().max(16),
  /** Whether the message was sent by this session (true) or received from `to` (false). */
  fromMe: z.boolean().default(false)
})

export const PollContent = z
  .object({
    name: z.string().min(1).max(255),
    options: z.array(z.string().min(1).max(100)).min(2).max(12),
    /** How many options a voter may pick: 1 (single choice) up to every option. */
    selectableCount: z.number().int().min(1).default(1)
  })
  .refine(poll => new Set(poll.options).size === poll.options.length, { message: 'options must be distinct', path: ['options'] })
  .refine(poll => poll.selectableCount <= poll.options.length, { message: 'selectableCount cannot exceed the number of options', path: ['selectableCount'] })

export const RICH_KINDS = ['location', 'button', 'list', 'contact', 'reaction', 'poll'] as const
export type RichKind = (typeof RICH_KINDS)[number]

export const RICH_CONTENT = {
  location: LocationContent,
  button: ButtonsContent,
  list: ListContent,
  contact: ContactsContent,
  reaction: ReactionContent,
  poll: PollContent
} as const
