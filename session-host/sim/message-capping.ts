import { S_WHATSAPP_NET } from '@whiskeysockets/baileys'
import type { BinaryNode } from '@whiskeysockets/baileys'

/** An account's new-chat cap for the current cycle, as WhatsApp keeps it. */
export type NewChatCap = {
  total: number
  used: number
  cycleEndsAt: Date
  /** NONE, FIRST_WARNING, SECOND_WARNING or CAPPED; derived from `used` when unset. */
  status?: 'NONE' | 'FIRST_WARNING' | 'SECOND_WARNING' | 'CAPPED'
}

/** The w:mex query `fetchNewChatMessageCap()` makes: `QueryIds.MESSAGE_CAPPING_INFO`. */
export const MESSAGE_CAPPING_QUERY_ID = '24503548349331633'

const seconds = (date: Date): string => String(Math.floor(date.getTime() / 1000))

/** The GraphQL object both the query answer and the push carry (Baileys' `NewChatMessageCapInfo`). */
const capInfo = (cap: NewChatCap | undefined) =>
  cap
    ? {
        total_quota: cap.total,
        used_quota: cap.used,
        cycle_end_timestamp: seconds(cap.cycleEndsAt),
        server_sent_timestamp: seconds(new Date()),
        capping_status: cap.status ?? (cap.used >= cap.total ? 'CAPPED' : 'NONE'),
        mv_status: 'NOT_ELIGIBLE',
        ote_status: 'NOT_ELIGIBLE'
      }
    : { capping_status: 'NONE', mv_status: 'NOT_ELIGIBLE', ote_status: 'NOT_ELIGIBLE' }

/**
 * The server's push when the cap changes: `<notification type="mex"><update
 * op_name="MessageCappingInfoNotification">{ data: { xwa2_notify_new_chat_messages_capping_info_update } }`;
 * rc14 (messages-recv.js, handleMessageCappingNotification) emits it as `message-capping.update`.
 */
export const messageCappingNotification = (id: string, t: string, cap: NewChatCap | undefined): BinaryNode => ({
  tag: 'notification',
  attrs: { from: S_WHATSAPP_NET, type: 'mex', id, t },
  content: [
    {
      tag: 'update',
      attrs: { op_name: 'MessageCappingInfoNotification' },
      content: Buffer.from(JSON.stringify({ data: { xwa2_notify_new_chat_messages_capping_info_update: capInfo(cap) } }))
    }
  ]
})

/** The answer to the w:mex cap query: `<iq type="result"><result>{ data: { xwa2_message_capping_info } }`. */
export const messageCappingQueryResult = (iq: BinaryNode, cap: NewChatCap | undefined): BinaryNode => ({
  tag: 'iq',
  attrs: { from: S_WHATSAPP_NET, type: 'result', id: iq.attrs.id ?? '' },
  content: [{ tag: 'result', attrs: {}, content: Buffer.from(JSON.stringify({ data: { xwa2_message_capping_info: capInfo(cap) } })) }]
})

export const isMessageCappingQuery = (iq: BinaryNode): boolean => {
  if (iq.attrs.xmlns !== 'w:mex' || !Array.isArray(iq.content)) return false
  return iq.content.some(child => child.tag === 'query' && child.attrs.query_id === MESSAGE_CAPPING_QUERY_ID)
}
